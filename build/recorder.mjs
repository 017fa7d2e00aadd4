#!/usr/bin/env node
// The recorder's executable entry (what a job runner starts, with the job's environment, reference §8):
// runs server/src/jobs/recorder/main.ts with tsx (resolved from here: a runner starts it in the job's own
// directory), passing signals on and exiting with its code. An IPC channel from the parent (the server's
// in-process runner) is passed through: its closing stops the recording.
import {spawn} from 'node:child_process';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ipc = typeof process.send === 'function';
const child = spawn(
  process.execPath,
  [
    '--import',
    import.meta.resolve('tsx'),
    path.join(root, 'server', 'src', 'jobs', 'recorder', 'main.ts'),
    ...process.argv.slice(2),
  ],
  {stdio: ipc ? ['inherit', 'inherit', 'inherit', 'ipc'] : 'inherit'},
);
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => child.kill(sig));
if (ipc) process.on('disconnect', () => child.connected && child.disconnect());
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
