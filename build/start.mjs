// npm start: build the webapp when it is missing or stale, then run the server (TypeScript via tsx).
import {spawn, spawnSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const build = path.join(root, 'build', 'build.mjs');
if (fs.existsSync(build)) {
  const r = spawnSync(process.execPath, [build], {cwd: root, stdio: 'inherit'});
  if (r.status !== 0) process.exit(r.status ?? 1);
}
const child = spawn(
  process.execPath,
  ['--import', import.meta.resolve('tsx'), path.join(root, 'server', 'src', 'main.ts')],
  {
    cwd: root,
    stdio: 'inherit',
  },
);
// The child gets Ctrl-C from the terminal itself; forward termination from a supervisor.
process.on('SIGTERM', () => child.kill('SIGTERM'));
process.on('SIGINT', () => {});
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
