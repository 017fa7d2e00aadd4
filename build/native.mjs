#!/usr/bin/env node
// Builds the native forwarding addon (server/native: AES-GCM with kept key schedules, batched UDP
// sends) with node-gyp against this Node's headers. Run by `npm install`; a failed build only warns,
// because the server runs without the addon (the same packets, produced more slowly in JavaScript).
// `--required` (npm run build:native) fails instead.
import {spawnSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIR = path.join(ROOT, 'server/native');
const required = process.argv.includes('--required');
const prefix = path.dirname(path.dirname(process.execPath));

function fail(why) {
  const msg = `[native] the forwarding addon was not built (${why}); the server will use its JavaScript path`;
  if (required) {
    console.error(msg.replace('; the server will use its JavaScript path', ''));
    process.exit(1);
  }
  console.warn(msg);
  process.exit(0);
}

if (process.platform !== 'linux') fail(`sendmmsg is Linux-only, this is ${process.platform}`);
const gyp = [
  process.env.npm_config_node_gyp,
  path.join(prefix, 'lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
].find((p) => p && fs.existsSync(p));
if (!gyp) fail('node-gyp not found');
// Headers of the running Node: npm's nodedir setting, else the ones installed beside it (no download).
const nodedir =
  process.env.npm_config_nodedir || (fs.existsSync(path.join(prefix, 'include/node/node_api.h')) ? prefix : undefined);
const args = [gyp, 'rebuild', '--silent', ...(nodedir ? [`--nodedir=${nodedir}`] : [])];
const started = Date.now();
const r = spawnSync(process.execPath, args, {cwd: DIR, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8'});
if (r.status !== 0) {
  process.stderr.write(`${r.stdout}${r.stderr}`.split('\n').slice(-20).join('\n'));
  fail(`node-gyp exited with ${r.status ?? r.signal}`);
}
console.log(
  `[native] built server/native/build/Release/calls_rtc_native.node in ${((Date.now() - started) / 1000).toFixed(1)}s`,
);
