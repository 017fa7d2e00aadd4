// npm start: build what is missing or stale (the webapp, the compiled server: npm install has built both, so
// usually nothing), then run the server. The compiled server runs in this very process (one node, no launcher
// beside it); when it cannot be compiled (MM_CALLS_FROM_SOURCE=true, or a build step failed) the TypeScript runs
// through tsx in a child process, as in development.
import {spawn, spawnSync} from 'node:child_process';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {serverIsCompiled} from './compile-server.mjs';
import {compiledEntry} from './run-ts.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const build = path.join(root, 'build', 'build.mjs');
// The freshness checks are cheap; the build itself (webpack, esbuild) runs in its own process only when needed, so
// none of its memory stays with the server.
const {isUpToDate: webappIsBuilt} = await import(build);
if (!webappIsBuilt() || !serverIsCompiled()) {
  const r = spawnSync(process.execPath, [build], {cwd: root, stdio: 'inherit'});
  if (r.status !== 0) process.exit(r.status ?? 1);
}
const compiled = compiledEntry('main.ts');
if (compiled) {
  await import(compiled);
} else {
  const child = spawn(
    process.execPath,
    ['--import', import.meta.resolve('tsx'), path.join(root, 'server', 'src', 'main.ts')],
    {cwd: root, stdio: 'inherit'},
  );
  // The child gets Ctrl-C from the terminal itself; forward termination from a supervisor.
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  process.on('SIGINT', () => {});
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}
