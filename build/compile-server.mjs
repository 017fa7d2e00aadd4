// Compiles the server half (server/src, tests and test helpers left out) to CommonJS in server/dist, one file per
// module with the same layout, so paths relative to a module (plugin.json, the native addon, the webapp, worker
// and recorder entries) stay the same. esbuild transpiles as tsx does at run time (tsx's own esbuild), without
// type checking (npm run typecheck does that). What start, rtcd, jobs and the recorder run when it is up to date.
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SRC = path.join(ROOT, 'server', 'src');
export const DIST = path.join(ROOT, 'server', 'dist');
/** Written last: its mtime is the build's, so an interrupted build never counts as up to date. */
const STAMP = path.join(DIST, '.built');

const isSource = (name) => name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts');
/** Directories with only test helpers. */
const SKIP_DIRS = new Set(['testing']);

function sources(dir = SRC, out = []) {
  for (const e of fs.readdirSync(dir, {withFileTypes: true})) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (!SKIP_DIRS.has(e.name)) sources(p, out);
    } else if (isSource(e.name)) out.push(p);
  }
  return out;
}

/** The newest mtime among the inputs; a directory's counts too (a file added, renamed or deleted in it). */
function newestInput() {
  let newest = 0;
  const visit = (dir) => {
    newest = Math.max(newest, fs.statSync(dir).mtimeMs);
    for (const e of fs.readdirSync(dir, {withFileTypes: true})) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name)) visit(p);
      } else if (isSource(e.name)) newest = Math.max(newest, fs.statSync(p).mtimeMs);
    }
  };
  visit(SRC);
  for (const f of ['build/compile-server.mjs', 'tsconfig.json'])
    newest = Math.max(newest, fs.statSync(path.join(ROOT, f)).mtimeMs);
  return newest;
}

/** Whether server/dist holds a complete build newer than every source (a few ms: one stat per source file). */
export function serverIsCompiled() {
  // The service package (npm run dist) ships server/dist without the sources: a complete build is what runs.
  if (!fs.existsSync(SRC)) return fs.existsSync(STAMP);
  try {
    return fs.statSync(STAMP).mtimeMs > newestInput();
  } catch {
    return false;
  }
}

/**
 * Builds into a fresh directory and swaps it in, so a process starting meanwhile sees either the old build or the
 * new one, never half of each; files of deleted sources do not linger.
 */
export async function compileServer({force = false} = {}) {
  if (!force && serverIsCompiled()) {
    console.log('server: up to date');
    return;
  }
  const started = Date.now();
  const {build} = await import('esbuild');
  // Both the new build and the one it replaces sit in directories named dist, which git, eslint and prettier ignore.
  const work = path.join(path.dirname(DIST), `.build-${process.pid}`);
  const tmp = path.join(work, 'dist');
  const old = path.join(work, 'old', 'dist');
  fs.rmSync(work, {recursive: true, force: true});
  await build({
    entryPoints: sources(),
    outdir: tmp,
    outbase: SRC,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    bundle: false,
    sourcemap: false,
    logLevel: 'warning',
  });
  // Stamped with the build's start: a source saved while it ran is newer, and the next start compiles again.
  const stamp = path.join(tmp, '.built');
  fs.writeFileSync(stamp, '');
  fs.utimesSync(stamp, new Date(started), new Date(started));
  if (fs.existsSync(DIST)) {
    fs.mkdirSync(path.dirname(old), {recursive: true});
    fs.renameSync(DIST, old);
  }
  fs.renameSync(tmp, DIST);
  fs.rmSync(work, {recursive: true, force: true});
  console.log(`server: compiled in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  compileServer({force: process.argv.includes('--force')}).catch((err) => {
    console.error(err.message || err);
    process.exit(1);
  });
}
