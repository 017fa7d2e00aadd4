// How our executable entries run a server program: the compiled JavaScript in server/dist when it is up to date
// (npm install and npm run build compile it), loaded in this process, so no second node runs beside it; otherwise
// (a source changed since) the TypeScript with tsx in a child node, the entry's arguments passed on, SIGTERM/SIGINT
// forwarded, and the child's exit code as ours. With `ipc`, an IPC channel from our parent reaches the program: its
// closing (the parent died, even by kill -9) disconnects the program too.
import {spawn} from 'node:child_process';
import {createRequire} from 'node:module';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {DIST, serverIsCompiled} from './compile-server.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** `server/src/<entry>.ts` compiled, or undefined when server/dist is missing or older than a source. */
export function compiledEntry(entry) {
  if (process.env.MM_CALLS_FROM_SOURCE === 'true' || !serverIsCompiled()) return undefined;
  return path.join(DIST, entry.replace(/\.ts$/, '.js'));
}

/** Runs `server/src/<entry>` (compiled in this process, else through tsx in a child that we exit with). */
export function runTs(entry, {ipc = false} = {}) {
  const compiled = compiledEntry(entry);
  if (compiled) {
    // The program's own signal handlers and IPC channel are this process's: nothing to forward.
    createRequire(import.meta.url)(compiled);
    return undefined;
  }
  const passIpc = ipc && typeof process.send === 'function';
  const child = spawn(
    process.execPath,
    ['--import', import.meta.resolve('tsx'), path.join(ROOT, 'server', 'src', entry), ...process.argv.slice(2)],
    {stdio: passIpc ? ['inherit', 'inherit', 'inherit', 'ipc'] : 'inherit'},
  );
  for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => child.kill(sig));
  if (passIpc) process.on('disconnect', () => child.connected && child.disconnect());
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  return child;
}
