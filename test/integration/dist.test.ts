// npm run dist: the plugin tarball is what Mattermost's plugin upload accepts (one top folder named for the plugin,
// a manifest without a server section whose webapp bundle is in the archive, the System Console settings), and the
// service tarball, unpacked with the dependencies installed, starts with build/start.mjs without building anything.
// Works on a copy of the repository's build scripts and sources (node_modules, the webapp and the native addon
// linked), so the checkout's own server/dist is not touched.
import {spawnSync} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {copyOfRepo} from '../support/repo-copy';
import {spawnServer} from '../support/server-process';

jest.setTimeout(60_000);

const ROOT = path.resolve(__dirname, '../..');
const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'plugin.json'), 'utf8')) as {
  id: string;
  version: string;
  settings_schema: unknown;
};

function tar(args: string[]): string {
  const r = spawnSync('tar', args, {encoding: 'utf8', maxBuffer: 64 * 1024 * 1024});
  if (r.status !== 0) throw new Error(`tar ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

let tmp: string;
let pluginTar: string;
let serviceTar: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'calls-dist-test-'));
  const repo = path.join(tmp, 'repo');
  copyOfRepo(repo, ['deploy']);
  const r = spawnSync(process.execPath, ['build/dist.mjs', '--out', path.join(tmp, 'out')], {
    cwd: repo,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`npm run dist failed: ${r.stdout}${r.stderr}`);
  pluginTar = path.join(tmp, 'out', `${manifest.id}-${manifest.version}.tar.gz`);
  serviceTar = path.join(tmp, 'out', `calls-service-${manifest.version}.tar.gz`);
});

afterAll(() => {
  fs.rmSync(tmp, {recursive: true, force: true});
});

test('the plugin tarball is a webapp-only Mattermost plugin bundle: manifest, bundle and its static files', () => {
  const entries = tar(['-tzf', pluginTar]).split('\n').filter(Boolean);
  // Mattermost unpacks the archive and reads plugin.json from its one top folder.
  expect(new Set(entries.map((e) => e.split('/')[0]))).toEqual(new Set([manifest.id]));
  const packed = JSON.parse(tar(['-xzOf', pluginTar, `${manifest.id}/plugin.json`])) as Record<string, unknown> & {
    webapp: {bundle_path: string};
  };
  expect(packed.id).toBe(manifest.id);
  expect(packed.version).toBe(manifest.version);
  // A server section would make Mattermost try to start a Go executable; ours is the service.
  expect(packed).not.toHaveProperty('server');
  expect(packed.settings_schema).toEqual(manifest.settings_schema);
  expect(entries).toContain(`${manifest.id}/${packed.webapp.bundle_path}`);
  // What the bundle loads beside it; the standalone host page is not part of the plugin.
  expect(entries).toEqual(
    expect.arrayContaining([
      `${manifest.id}/webapp/dist/sounds/join_self.wav`,
      `${manifest.id}/webapp/dist/emoji/emoji.json`,
      `${manifest.id}/webapp/dist/emoji/sheet-32.png`,
    ]),
  );
  expect(entries.some((e) => e.includes('standalone'))).toBe(false);
});

test('the service tarball, unpacked beside its dependencies, runs as the unit and npm start run it and builds nothing', async () => {
  const entries = tar(['-tzf', serviceTar]).split('\n').filter(Boolean);
  expect(entries).toEqual(
    expect.arrayContaining([
      'calls-service/build/start.mjs',
      'calls-service/server/dist/main.js',
      'calls-service/package.json',
      'calls-service/package-lock.json',
      'calls-service/plugin.json',
      'calls-service/deploy/calls.service',
      `calls-service/webapp/dist/main.js`,
    ]),
  );
  expect(entries.some((e) => e.startsWith('calls-service/server/src/') || e.includes('node_modules'))).toBe(false);
  const unit = tar(['-xzOf', serviceTar, 'calls-service/deploy/calls.service']);
  // The unit runs the server as `npm start` does, node flags and all (the young generation's bound).
  const startScript = (
    JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {scripts: {start: string}}
  ).scripts.start;
  expect(startScript).toMatch(/^node --max-semi-space-size=\d+ build\/start\.mjs$/);
  expect(unit).toMatch(new RegExp(`^ExecStart=/usr/bin/${startScript.replace(/[.]/g, '\\.')}$`, 'm'));
  expect(unit).toMatch(/^Environment=MM_CALLS_PLATFORM=mattermost$/m);

  const installed = path.join(tmp, 'opt');
  fs.mkdirSync(installed);
  tar(['-xzf', serviceTar, '-C', installed]);
  const dir = path.join(installed, 'calls-service');
  // What `npm ci --omit=dev` would install (no registry here): the checkout's dependencies.
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  const dataDir = path.join(tmp, 'data');
  const nodeFlags = startScript.split(' ').slice(1, -1);
  const s = spawnServer([...nodeFlags, path.join(dir, 'build', 'start.mjs')], dir, {
    MM_CALLS_RTC_WORKERS: '1',
    MM_CALLS_DATA_DIR: dataDir,
  });
  try {
    const url = await s.url;
    // No sources in the package: start.mjs must not try to build (no webpack, no esbuild run).
    expect(s.output()).not.toMatch(/compiled in|built in|not built/);
    const version = await fetch(`${url}/plugins/${manifest.id}/version`);
    expect(version.status).toBe(200);
    expect(await version.json()).toMatchObject({version: manifest.version});
    const bundle = await fetch(`${url}/static/plugins/${manifest.id}/main.js`);
    expect(bundle.status).toBe(200);
    const sound = await fetch(`${url}/static/plugins/${manifest.id}/sounds/join_self.wav`);
    expect(sound.status).toBe(200);
  } finally {
    if (s.child.exitCode === null) s.child.kill('SIGTERM');
    await s.exited;
  }
});
