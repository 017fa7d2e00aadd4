// What an install gives `npm start`: the server compiled to JavaScript by the install's build, run by the start
// process itself (one node, nothing transpiled at start), serving the API and the webapp; an edited source is
// compiled again at the next start, and the service entries (rtcd, jobs, recorder) run a source newer than the
// compiled server through tsx. Each test works on a copy of the repository's build scripts and server sources
// (node_modules, the webapp and the native addon linked), so nothing here touches the checkout's own build.
import {spawnSync} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {copyOfRepo} from '../support/repo-copy';
import {spawnServer} from '../support/server-process';

jest.setTimeout(180_000);

const PLUGIN_VERSION_PATH = '/plugins/com.mattermost.calls/version';

/** A checkout of its own: copies (timestamps kept, so the linked webapp stays up to date) and links. */
/** A checkout of its own (support/repo-copy.ts) in a new temporary directory. */
function repoCopy(): string {
  return copyOfRepo(fs.mkdtempSync(path.join(os.tmpdir(), 'calls-compiled-')));
}

function node(dir: string, args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, args, {cwd: dir, encoding: 'utf8', env: {...process.env, ...env}});
}

/** `npm start` (build/start.mjs) in `dir`, on loopback and ephemeral ports, in-process SFU. */
function start(dir: string) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'calls-compiled-data-'));
  const {child, exited, url, output} = spawnServer([path.join(dir, 'build', 'start.mjs')], dir, {
    MM_CALLS_RTC_WORKERS: '1',
    MM_CALLS_DATA_DIR: dataDir,
  });
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    fs.rmSync(dataDir, {recursive: true, force: true});
  };
  return {child, url, stop, output};
}

/** The node processes started by `pid` (its direct children). */
function childrenOf(pid: number): string[] {
  const ids = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  return ids.map((id) => fs.readFileSync(`/proc/${id}/cmdline`, 'utf8').replace(/\0/g, ' '));
}

let dir: string;
beforeEach(() => {
  dir = repoCopy();
});
afterEach(() => {
  fs.rmSync(dir, {recursive: true, force: true});
});

test('after the install step, npm start builds nothing and one node process serves the API and the webapp', async () => {
  const install = node(dir, ['build/build.mjs', '--install']);
  expect(install.status).toBe(0);
  expect(install.stdout).toContain('server: compiled');

  const s = start(dir);
  try {
    const url = await s.url;
    expect(s.output()).not.toMatch(/compiled in|built in/);
    // The start process is the server: no tsx child, no esbuild service, no launcher.
    expect(childrenOf(s.child.pid!)).toEqual([]);
    const version = await fetch(`${url}${PLUGIN_VERSION_PATH}`);
    expect(version.status).toBe(200);
    expect(await version.json()).toMatchObject({version: expect.any(String)});
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('standalone.js');
    const bundle = await fetch(`${url}/static/standalone/standalone.js`);
    expect(bundle.status).toBe(200);
  } finally {
    await s.stop();
  }
});

test('a server source edited after the build is compiled again by the next npm start', async () => {
  expect(node(dir, ['build/build.mjs', '--install']).status).toBe(0);
  const main = path.join(dir, 'server/src/main.ts');
  fs.writeFileSync(
    main,
    fs.readFileSync(main, 'utf8').replace('Ctrl-C ends active calls and stops.', 'Ctrl-C ends the edited calls.'),
  );
  const s = start(dir);
  try {
    await s.url;
    expect(s.output()).toContain('server: compiled');
    expect(s.output()).toContain('Ctrl-C ends the edited calls.');
    expect(childrenOf(s.child.pid!)).toEqual([]);
  } finally {
    await s.stop();
  }
});

test('the rtcd entry runs the compiled service, and through tsx a source newer than it', () => {
  expect(node(dir, ['build/build.mjs', '--install']).status).toBe(0);
  const missing = path.join(dir, 'no-such-config.toml');
  const compiled = node(dir, ['build/rtcd.mjs', '-config', missing]);
  expect(compiled.status).toBe(1);
  expect(compiled.stderr).toContain('no-such-config.toml');
  expect(compiled.stderr).not.toContain('edited source');

  const main = path.join(dir, 'server/src/rtcd/service/main.ts');
  fs.writeFileSync(main, `console.error('edited source');\n${fs.readFileSync(main, 'utf8')}`);
  const fromSource = node(dir, ['build/rtcd.mjs', '-config', missing]);
  expect(fromSource.status).toBe(1);
  expect(fromSource.stderr).toContain('edited source');
  expect(fromSource.stderr).toContain('no-such-config.toml');
});
