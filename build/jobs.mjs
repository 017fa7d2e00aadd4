#!/usr/bin/env node
// The job service's executable entry (`npm run jobs`, or run this file under a supervisor):
// runs server/src/jobs/service/main.ts with tsx, passing its arguments (-config <file>) and signals on.
import {spawn} from 'node:child_process';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const child = spawn(
  process.execPath,
  [
    '--import',
    import.meta.resolve('tsx'),
    path.join(root, 'server', 'src', 'jobs', 'service', 'main.ts'),
    ...process.argv.slice(2),
  ],
  {stdio: 'inherit'},
);
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
