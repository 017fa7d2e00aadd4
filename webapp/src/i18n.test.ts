// The i18n extraction (build/i18n-extract.mjs) and the translations the plugin registers: en.json matches the
// sources, two different default messages for one id fail the extraction, locales map to translation files, and every
// translation has exactly en.json's ids with the same placeholders and tags.
import {spawnSync} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import {parse, TYPE, type MessageFormatElement} from '@formatjs/icu-messageformat-parser';

import en from '../i18n/en.json';
import {getTranslations, translationFile} from './utils/intl';

const ROOT = path.resolve(__dirname, '../..');
const SCRIPT = path.join(ROOT, 'build', 'i18n-extract.mjs');

function extract(args: string[]) {
  return spawnSync(process.execPath, [SCRIPT, ...args], {cwd: ROOT, encoding: 'utf8'});
}

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, {recursive: true, force: true})));

function fixture(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'calls-i18n-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

describe('i18n extraction', () => {
  test('webapp/i18n/en.json holds exactly the messages of the sources and plugin.json', () => {
    const r = extract(['--check']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect((en as Record<string, string>)['calls.widget.no_one_talking']).toBe('No one is talking…');
    expect((en as Record<string, string>)['calls.admin.MaxCallParticipants.label']).toBeTruthy();
  });

  test('collects formatMessage, defineMessages and <FormattedMessage>; fails when one id has two defaults', () => {
    const src = fixture({
      'a.tsx': `const m = defineMessages({x: {id: 'x.one', defaultMessage: 'One'}});
                export const A = () => <FormattedMessage id='x.two' defaultMessage='Two {n}' values={{n: 2}}/>;
                formatMessage({id: 'x.three', defaultMessage: "Three"});`,
      'b.ts': `formatMessage({id: 'x.one', defaultMessage: 'One'});`,
    });
    const out = path.join(src, 'en.json');
    const ok = extract(['--src', src, '--out', out, '--manifest', path.join(src, 'none.json')]);
    expect(ok.status).toBe(0);
    expect(JSON.parse(fs.readFileSync(out, 'utf8'))).toEqual({'x.one': 'One', 'x.three': 'Three', 'x.two': 'Two {n}'});

    fs.writeFileSync(path.join(src, 'c.ts'), `formatMessage({id: 'x.one', defaultMessage: 'Uno'});`);
    const bad = extract(['--src', src, '--out', out, '--manifest', path.join(src, 'none.json')]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/"x\.one" has two default messages/);
    expect(bad.stderr).toMatch(/a\.tsx:1: "One"/);
    expect(bad.stderr).toMatch(/c\.ts:1: "Uno"/);
  });

  test('a message without a literal default, or a computed id, is an error', () => {
    const src = fixture({
      'a.ts': `formatMessage({id: 'y.one'}); const k = 'z'; formatMessage({id: k, defaultMessage: 'Zed'});`,
    });
    const r = extract(['--src', src, '--out', path.join(src, 'en.json'), '--manifest', path.join(src, 'none.json')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/formatMessage without a defaultMessage/);
    expect(r.stderr).toMatch(/message id is not a string literal/);
  });
});

describe('translations', () => {
  test('Mattermost locales map to the translation files of reference §1.1', () => {
    expect(translationFile('zh-CN')).toBe('zh_Hans');
    expect(translationFile('zh-TW')).toBe('zh_Hant');
    expect(translationFile('pt-BR')).toBe('pt_BR');
    expect(translationFile('de')).toBe('de');
  });

  test('English ships; a locale without a file falls back to the English defaults', () => {
    expect(getTranslations('en')).toBe(en);
    expect(getTranslations('fr')).toBe(en);
    expect(getTranslations('zh-CN')).toBe(en);
    expect(getTranslations('de')).not.toBe(en);
  });
});

const I18N_DIR = path.join(ROOT, 'webapp', 'i18n');
const locales = fs
  .readdirSync(I18N_DIR)
  .filter((f) => f.endsWith('.json') && f !== 'en.json')
  .map((f) => f.slice(0, -'.json'.length));

/** What a translation must keep of a message: its arguments (name and kind) and its rich-text tags. */
function placeholders(message: string): string[] {
  const out = new Set<string>();
  const walk = (els: MessageFormatElement[]) => {
    for (const el of els) {
      switch (el.type) {
        case TYPE.argument:
          out.add(`{${el.value}}`);
          break;
        case TYPE.number:
        case TYPE.date:
        case TYPE.time:
          out.add(`{${el.value}, ${TYPE[el.type]}}`);
          break;
        case TYPE.plural:
        case TYPE.select:
          out.add(`{${el.value}, ${el.type === TYPE.plural ? 'plural' : 'select'}}`);
          Object.values(el.options).forEach((o) => walk(o.value));
          break;
        case TYPE.tag:
          out.add(`<${el.value}>`);
          walk(el.children);
          break;
        default:
          break;
      }
    }
  };
  walk(parse(message));
  return [...out].sort();
}

describe('translation files', () => {
  test('there is at least one besides English', () => {
    expect(locales).toContain('de');
  });

  test.each(locales)('%s.json has exactly the ids of en.json, with the same placeholders and tags', (locale) => {
    const tr = JSON.parse(fs.readFileSync(path.join(I18N_DIR, `${locale}.json`), 'utf8')) as Record<string, string>;
    const source = en as Record<string, string>;
    expect(Object.keys(tr).sort()).toEqual(Object.keys(source).sort());
    for (const [id, text] of Object.entries(source)) {
      expect(typeof tr[id]).toBe('string');
      expect(tr[id].trim()).not.toBe('');
      expect({id, placeholders: placeholders(tr[id])}).toEqual({id, placeholders: placeholders(text)});
    }
  });

  test.each(locales)('%s.json is what the plugin registers for that locale', (locale) => {
    const tr = JSON.parse(fs.readFileSync(path.join(I18N_DIR, `${locale}.json`), 'utf8')) as Record<string, string>;
    expect(getTranslations(locale)).toEqual(tr);
  });

  test('the placeholder check sees a renamed argument, a lost plural and a lost tag', () => {
    expect(placeholders('<b>{name}</b> hat {count, plural, =1 {# Minute} other {# Minuten}}')).toEqual([
      '<b>',
      '{count, plural}',
      '{name}',
    ]);
    expect(placeholders('{nom} hat {count} Minuten')).toEqual(['{count}', '{nom}']);
  });
});
