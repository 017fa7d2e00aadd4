// Collects the webapp's translatable strings into webapp/i18n/en.json (reference webapp.md §6, checklist #72): every
// message descriptor in webapp/src — formatMessage({id, defaultMessage}), defineMessage(s)({...}) and
// <FormattedMessage id defaultMessage/> — read from the TypeScript syntax tree, not with regular expressions. It fails
// when two places give one id different default messages, or when a descriptor's id or defaultMessage is not a plain
// string (the extraction could not see it). The standalone host page stands in for Mattermost and is not translated.
//
//   node build/i18n-extract.mjs            write webapp/i18n/en.json
//   node build/i18n-extract.mjs --check    fail if en.json is not what the sources say
//   --src <dir> --out <file> --manifest <plugin.json>   other inputs (tests use fixtures)

import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {createRequire} from 'node:module';

const require = createRequire(import.meta.url);
const ts = require('typescript');

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function parseArgs(argv) {
  const opts = {
    src: path.join(root, 'webapp', 'src'),
    out: path.join(root, 'webapp', 'i18n', 'en.json'),
    check: false,
    manifest: path.join(root, 'plugin.json'),
  };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--check') {
      opts.check = true;
    } else if (argv[i] === '--src') {
      opts.src = path.resolve(argv[++i]);
    } else if (argv[i] === '--out') {
      opts.out = path.resolve(argv[++i]);
    } else if (argv[i] === '--manifest') {
      opts.manifest = path.resolve(argv[++i]);
    }
  }
  return opts;
}

function sourceFiles(dir) {
  const out = [];
  for (const name of fs.readdirSync(dir)) {
    const p = path.join(dir, name);
    const st = fs.statSync(p);
    if (st.isDirectory()) {
      if (name === 'standalone' || name === 'testing' || name === 'node_modules') {
        continue;
      }
      out.push(...sourceFiles(p));
    } else if (/\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name) && !name.endsWith('.d.ts')) {
      out.push(p);
    }
  }
  return out.sort();
}

/** A string literal's text, or null for anything computed. */
function literal(node) {
  if (!node) {
    return null;
  }
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) {
    return node.text;
  }
  if (ts.isJsxExpression(node)) {
    return literal(node.expression);
  }
  if (ts.isParenthesizedExpression(node)) {
    return literal(node.expression);
  }
  return null;
}

function propName(p) {
  if (!p.name) {
    return '';
  }
  if (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) {
    return p.name.text;
  }
  return '';
}

/** Extracts {id, defaultMessage, where} from one file; problems go to errors. */
function extractFile(file, found, errors) {
  const text = fs.readFileSync(file, 'utf8');
  const sf = ts.createSourceFile(
    file,
    text,
    ts.ScriptTarget.Latest,
    true,
    file.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS,
  );
  const rel = path.relative(root, file);
  const where = (node) => `${rel}:${sf.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;

  // A statement preceded by a comment naming i18n-extract-ignore builds descriptors from data the script reads
  // itself (plugin.json): its non-literal ids are expected.
  const ignored = (node) => {
    for (let n = node; n; n = n.parent) {
      if (ts.isStatement(n)) {
        const ranges = ts.getLeadingCommentRanges(text, n.getFullStart()) || [];
        if (ranges.some((r) => text.slice(r.pos, r.end).includes('i18n-extract-ignore'))) {
          return true;
        }
      }
    }
    return false;
  };

  const add = (node, idNode, msgNode) => {
    if (ignored(node)) {
      return;
    }
    const id = literal(idNode);
    const defaultMessage = literal(msgNode);
    if (id === null) {
      errors.push(`${where(node)}: message id is not a string literal`);
      return;
    }
    if (defaultMessage === null) {
      errors.push(`${where(node)}: message "${id}" has no literal defaultMessage`);
      return;
    }
    found.push({id, defaultMessage, where: where(node)});
  };

  const visit = (node) => {
    // Any object literal with an `id` and a `defaultMessage` is a message descriptor (formatMessage, defineMessages).
    if (ts.isObjectLiteralExpression(node)) {
      const props = node.properties.filter(ts.isPropertyAssignment);
      const id = props.find((p) => propName(p) === 'id');
      const msg = props.find((p) => propName(p) === 'defaultMessage');
      if (msg) {
        add(node, id?.initializer, msg.initializer);
      }
    }
    // formatMessage({id}) with no default: the string would be missing for everyone.
    if (ts.isCallExpression(node)) {
      const callee = node.expression;
      const name = ts.isIdentifier(callee)
        ? callee.text
        : ts.isPropertyAccessExpression(callee)
          ? callee.name.text
          : '';
      if (
        (name === 'formatMessage' || name === 'defineMessage') &&
        node.arguments[0] &&
        ts.isObjectLiteralExpression(node.arguments[0])
      ) {
        const props = node.arguments[0].properties.filter(ts.isPropertyAssignment);
        if (!props.some((p) => propName(p) === 'defaultMessage')) {
          errors.push(`${where(node)}: ${name} without a defaultMessage`);
        }
      }
    }
    if (ts.isJsxSelfClosingElement(node) || ts.isJsxOpeningElement(node)) {
      const tag = node.tagName.getText(sf);
      if (tag === 'FormattedMessage') {
        const attrs = node.attributes.properties.filter(ts.isJsxAttribute);
        const get = (n) => attrs.find((a) => a.name.getText(sf) === n)?.initializer;
        if (!get('defaultMessage')) {
          errors.push(`${where(node)}: <FormattedMessage> without a defaultMessage`);
        } else {
          add(node, get('id'), get('defaultMessage'));
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
}

/** plugin.json's plain texts as ICU messages (as escapeICU in components/admin_console/settings.tsx). */
function escapeICU(text) {
  return text.replace(/'/g, "''").replace(/[{}<>]/g, (c) => `'${c}'`);
}

/**
 * The System Console section titles, labels and help texts: their ids are built from plugin.json's keys (adminMessage
 * and sectionTitleMessage in components/admin_console/settings.tsx), and their English text is plugin.json's.
 */
function manifestMessages(manifestPath, found) {
  if (!fs.existsSync(manifestPath)) {
    return;
  }
  const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
  for (const section of manifest.settings_schema?.sections || []) {
    if (section.settings?.length) {
      // The section's title (sectionTitleMessage): the connectivity check, without settings, has its own texts.
      found.push({
        id: `calls.admin.section.${section.key}.title`,
        defaultMessage: escapeICU(section.title || ''),
        where: `plugin.json section ${section.key}`,
      });
    }
    for (const s of section.settings || []) {
      found.push({
        id: `calls.admin.${s.key}.label`,
        defaultMessage: escapeICU(s.display_name || ''),
        where: `plugin.json ${s.key}`,
      });
      found.push({
        id: `calls.admin.${s.key}.help`,
        defaultMessage: escapeICU(s.help_text || ''),
        where: `plugin.json ${s.key}`,
      });
    }
  }
}

export function extract(srcDir, manifestPath = path.join(root, 'plugin.json')) {
  const found = [];
  const errors = [];
  for (const f of sourceFiles(srcDir)) {
    extractFile(f, found, errors);
  }
  manifestMessages(manifestPath, found);
  const messages = {};
  const firstSeen = {};
  for (const m of found) {
    if (m.id in messages && messages[m.id] !== m.defaultMessage) {
      errors.push(
        `message "${m.id}" has two default messages:\n  ${firstSeen[m.id]}: ${JSON.stringify(messages[m.id])}\n  ${m.where}: ${JSON.stringify(m.defaultMessage)}`,
      );
      continue;
    }
    messages[m.id] = m.defaultMessage;
    firstSeen[m.id] ??= m.where;
  }
  const sorted = Object.fromEntries(
    Object.keys(messages)
      .sort()
      .map((k) => [k, messages[k]]),
  );
  return {messages: sorted, errors};
}

export function run(argv = process.argv.slice(2)) {
  const opts = parseArgs(argv);
  const {messages, errors} = extract(opts.src, opts.manifest);
  if (errors.length) {
    console.error(`i18n: ${errors.length} problem(s):\n${errors.join('\n')}`);
    return 1;
  }
  const json = `${JSON.stringify(messages, null, 2)}\n`;
  const current = fs.existsSync(opts.out) ? fs.readFileSync(opts.out, 'utf8') : '';
  if (opts.check) {
    if (current !== json) {
      console.error(`i18n: ${path.relative(root, opts.out)} is out of date: run node build/i18n-extract.mjs`);
      return 1;
    }
    console.log(`i18n: ${Object.keys(messages).length} messages, up to date`);
    return 0;
  }
  if (current !== json) {
    fs.mkdirSync(path.dirname(opts.out), {recursive: true});
    fs.writeFileSync(opts.out, json);
    console.log(`i18n: wrote ${Object.keys(messages).length} messages to ${path.relative(root, opts.out)}`);
  }
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = run();
}
