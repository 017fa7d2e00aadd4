// How our executable entries run a TypeScript program: node with tsx (resolved from here, so a runner may
// start them in any working directory), the entry's arguments passed on, SIGTERM/SIGINT forwarded, and the
// child's exit code as ours. With `ipc`, an IPC channel from our parent is passed through: its closing
// (the parent died, even by kill -9) disconnects the child too.
import {spawn} from 'node:child_process';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Runs `server/src/<entry>` and exits with it. */
export function runTs(entry, {ipc = false} = {}) {
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
