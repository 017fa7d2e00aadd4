// The i18n extraction (build/i18n-extract.mjs) and the translations the plugin registers: en.json matches the
// sources, two different default messages for one id fail the extraction, and locales map to translation files.
import {spawnSync} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

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
  });
});
