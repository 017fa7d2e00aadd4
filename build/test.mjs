#!/usr/bin/env node
// What `npm test` runs, in order, stopping at the first failure: system packages → lock file in sync
// (`npm ci` works) → typecheck → lint (eslint + prettier + import cycles) → build →
// one jest run per project (so a slow project cannot starve a fast one). One PostgreSQL server is started
// beside the typecheck and shared by every jest run through MM_CALLS_TEST_PG_URL.
//
//   npm test                                  everything
//   npm test -- server webapp                 only these jest projects (setup, typecheck, build still run)
//   npm test -- --no-typecheck --no-lint --no-build rtc   skip steps while iterating
//   npm test -- cluster -- -t 'failover'      arguments after a second `--` go to jest

import {spawn} from 'node:child_process';
import fs from 'node:fs';
import {createRequire} from 'node:module';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {checkLockfile} from './lockfile-check.mjs';
import {setupSystem} from './setup-system.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const PROJECTS = ['server', 'webapp', 'integration', 'rtc', 'rtcd', 'jobs', 'recorder', 'fuzz', 'cluster', 'e2e'];
const HEAVY = new Set(['integration', 'rtc', 'rtcd', 'jobs', 'recorder', 'fuzz', 'cluster', 'e2e']);
const TSCONFIGS = ['server/tsconfig.json', 'webapp/tsconfig.json', 'test/tsconfig.json'];
const PG_URL_ENV = 'MM_CALLS_TEST_PG_URL';

const log = (msg) => console.log(`[test] ${msg}`);
const seconds = (ms) => `${(ms / 1000).toFixed(1)}s`;

function parseArgs(argv) {
  const sep = argv.indexOf('--');
  const ours = sep === -1 ? argv : argv.slice(0, sep);
  const jestArgs = sep === -1 ? [] : argv.slice(sep + 1);
  const opts = {projects: [], typecheck: true, lint: true, build: true, jestArgs};
  for (const a of ours) {
    if (a === '--no-typecheck') opts.typecheck = false;
    else if (a === '--no-lint') opts.lint = false;
    else if (a === '--no-build') opts.build = false;
    else if (PROJECTS.includes(a)) opts.projects.push(a);
    else {
      console.error(
        `[test] unknown argument '${a}'. Usage: npm test -- [--no-typecheck] [--no-lint] [--no-build] [${PROJECTS.join('|')} ...] [-- <jest args>]`,
      );
      process.exit(2);
    }
  }
  if (opts.projects.length === 0) opts.projects = [...PROJECTS];
  opts.projects = PROJECTS.filter((p) => opts.projects.includes(p));
  return opts;
}

// --- child processes ------------------------------------------------------------------------------

const children = new Set();
let interrupted;

function runChild(cmd, args, {capture = false, env = process.env} = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {cwd: ROOT, env, stdio: capture ? ['ignore', 'pipe', 'pipe'] : 'inherit'});
    children.add(child);
    let output = '';
    if (capture) {
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
    }
    child.on('error', (err) => {
      output += String(err);
    });
    child.on('close', (code, signal) => {
      children.delete(child);
      resolve({ok: code === 0, code: code ?? signal, output});
    });
  });
}

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    interrupted = sig;
    for (const c of children) c.kill(sig);
  });
}

// --- steps ----------------------------------------------------------------------------------------

async function typecheck() {
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const results = await Promise.all(
    TSCONFIGS.map(async (cfg) => ({
      cfg,
      ...(await runChild(process.execPath, [tsc, '-p', cfg, '--noEmit'], {capture: true})),
    })),
  );
  const notes = [];
  const failures = [];
  for (const r of results) {
    const name = path.dirname(r.cfg);
    if (r.ok) notes.push(name);
    // TS18003: the tsconfig's include matches no file yet; nothing to check.
    else if (r.output.includes('TS18003')) notes.push(`${name} (no files)`);
    else {
      failures.push(name);
      console.error(`[test] tsc -p ${r.cfg} failed:\n${r.output}`);
    }
  }
  return failures.length ? {ok: false, note: `errors in ${failures.join(', ')}`} : {ok: true, note: notes.join(', ')};
}

/** eslint (with the type-aware rules on the server), prettier's check and the import-cycle check, as `npm run lint`. */
async function lint() {
  const eslint = await runChild(
    process.execPath,
    [path.join(ROOT, 'node_modules', 'eslint', 'bin', 'eslint.js'), '.'],
    {capture: true},
  );
  if (!eslint.ok) console.error(`[test] eslint found problems:\n${eslint.output}`);
  const prettier = await runChild(
    process.execPath,
    [path.join(ROOT, 'node_modules', 'prettier', 'bin', 'prettier.cjs'), '--check', '.'],
    {capture: true},
  );
  if (!prettier.ok) console.error(`[test] prettier: files not formatted (npm run format):\n${prettier.output}`);
  const cycles = await runChild(process.execPath, [path.join(ROOT, 'build', 'import-cycles.mjs')], {capture: true});
  if (!cycles.ok) console.error(`[test] ${cycles.output}`);
  const bad = [!eslint.ok && 'eslint', !prettier.ok && 'prettier', !cycles.ok && 'import cycles'].filter(Boolean);
  return bad.length
    ? {ok: false, note: `${bad.join(', ')}: see above`}
    : {ok: true, note: 'eslint, prettier, no import cycle'};
}

/** Whether a jest project has any test file, judged from its testMatch globs' fixed directory part. */
function hasTestFiles(project) {
  const config = require(path.join(ROOT, 'jest.config.js'));
  const entry = (config.projects ?? []).find((p) => p.displayName === project);
  if (!entry) return false;
  return (entry.testMatch ?? []).some((glob) => {
    const fixed = [];
    for (const part of glob.replace('<rootDir>/', '').split('/')) {
      if (/[*?[{(!]/.test(part)) break;
      fixed.push(part);
    }
    return containsTest(path.join(ROOT, ...fixed));
  });
}

function containsTest(dir) {
  let entries;
  try {
    entries = fs.readdirSync(dir, {withFileTypes: true});
  } catch {
    return false;
  }
  return entries.some((e) =>
    e.isDirectory()
      ? e.name !== 'node_modules' && containsTest(path.join(dir, e.name))
      : /\.test\.[cm]?[jt]sx?$/.test(e.name),
  );
}

/** Starts the shared PostgreSQL server through the same harness the tests use (TypeScript, via tsx). */
async function startSharedPostgres() {
  const {tsImport} = await import('tsx/esm/api');
  const mod = await tsImport('../test/support/postgres.ts', import.meta.url);
  const pg = mod.startPostgres ? mod : mod.default;
  const binDir = pg.findPgBinDir();
  if (!binDir) return {server: undefined, note: 'not installed; tests that need it will fail'};
  pg.sweepStalePostgres();
  const server = await pg.startPostgres({binDir});
  return {server, note: `on port ${server.port}`};
}

// --- main -----------------------------------------------------------------------------------------

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const summary = [];
  let failed;
  let pgServer;

  const step = async (name, fn) => {
    if (failed || interrupted) return;
    const t0 = Date.now();
    let res;
    try {
      res = await fn();
    } catch (err) {
      console.error(`[test] ${name}: ${err instanceof Error ? err.message : err}`);
      res = {ok: false};
    }
    const row = {
      name,
      ms: Date.now() - t0,
      status: res.skipped ? 'skipped' : res.ok ? 'ok' : 'FAILED',
      note: res.note ?? '',
    };
    summary.push(row);
    if (!res.ok && !res.skipped) failed = name;
  };

  try {
    await step('setup-system', async () => {
      const installed = await setupSystem();
      return {ok: true, note: installed.length ? `installed ${installed.join(', ')}` : 'all present'};
    });

    await step('lockfile', async () => checkLockfile(ROOT));

    const jestProjects = failed ? [] : opts.projects.filter(hasTestFiles);
    const needPg = jestProjects.length > 0 && !process.env[PG_URL_ENV];
    // PostgreSQL starts beside the typecheck, so its ~1.3 s costs nothing.
    const pgStart = needPg && !failed ? timed(startSharedPostgres()) : undefined;

    if (opts.typecheck) await step('typecheck', typecheck);
    else summary.push({name: 'typecheck', ms: 0, status: 'skipped', note: '--no-typecheck'});

    if (opts.lint) await step('lint', lint);
    else summary.push({name: 'lint', ms: 0, status: 'skipped', note: '--no-lint'});

    if (pgStart) {
      const {ms, value, error} = await pgStart;
      pgServer = value?.server;
      summary.push({name: 'postgres', ms, status: error ? 'FAILED' : 'ok', note: error ? 'see above' : value.note});
      if (error) {
        console.error(`[test] could not start PostgreSQL: ${error.message}`);
        failed ??= 'postgres';
      } else if (pgServer) process.env[PG_URL_ENV] = pgServer.url;
    }

    await step('build', async () => {
      if (!opts.build) return {skipped: true, note: '--no-build'};
      if (!fs.existsSync(path.join(ROOT, 'build', 'build.mjs'))) return {skipped: true, note: 'no build/build.mjs'};
      return runChild('npm', ['run', 'build']);
    });

    for (const project of opts.projects) {
      await step(`jest ${project}`, async () => {
        if (!jestProjects.includes(project)) return {skipped: true, note: 'no test files'};
        // --forceExit: a handle a test leaves open now and then (a socket of a killed child, a timer) must not
        // keep the run waiting after its tests finished; the suites clean up their processes themselves.
        const args = [
          require.resolve('jest/bin/jest'),
          '--selectProjects',
          project,
          '--passWithNoTests',
          '--forceExit',
        ];
        if (HEAVY.has(project)) args.push('--runInBand');
        log(`jest ${project}${HEAVY.has(project) ? ' (in band)' : ''}`);
        return runChild(process.execPath, [...args, ...opts.jestArgs]);
      });
    }
  } finally {
    if (pgServer) await pgServer.stop().catch((err) => console.error(`[test] stopping PostgreSQL: ${err.message}`));
  }

  const width = Math.max(...summary.map((r) => r.name.length), 5);
  console.log('\n[test] summary');
  for (const r of summary)
    console.log(`  ${r.name.padEnd(width)}  ${seconds(r.ms).padStart(7)}  ${r.status.padEnd(7)}  ${r.note}`);
  const result = interrupted ? `interrupted (${interrupted})` : failed ? `FAILED at ${failed}` : 'passed';
  console.log(`  ${'total'.padEnd(width)}  ${seconds(Date.now() - started).padStart(7)}  ${result}`);
  if (interrupted) process.exit(interrupted === 'SIGINT' ? 130 : 143);
  process.exit(failed ? 1 : 0);
}

async function timed(promise) {
  const t0 = Date.now();
  try {
    const value = await promise;
    return {ms: Date.now() - t0, value};
  } catch (error) {
    return {ms: Date.now() - t0, error};
  }
}

main();
