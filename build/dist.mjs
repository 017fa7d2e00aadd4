// npm run dist: the two release tarballs, in dist/ (or `--out DIR`). com.mattermost.calls-<version>.tar.gz is the
// webapp-only Mattermost plugin (manifest without a server section, the bundle and its static files) for System
// Console › Plugins › Upload or `mmctl plugin add`; calls-service-<version>.tar.gz is the service that runs beside
// Mattermost (compiled server, built webapp, build/start.mjs, the lockfile for `npm ci --omit=dev`, a systemd unit).
// Builds what is stale first (build.mjs, compile-server.mjs); packs with GNU tar. `--plugin-only` packs the plugin alone.
import {spawnSync} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The service package's top folder: extracting every version into /opt gives the same path (the unit's). */
export const SERVICE_DIR = 'calls-service';

/** What build/start.mjs and the other entries (rtcd, jobs, recorder) need at run time, relative to the root. */
const SERVICE_FILES = [
  'package.json',
  'package-lock.json',
  'plugin.json',
  'build/start.mjs',
  'build/build.mjs',
  'build/compile-server.mjs',
  'build/run-ts.mjs',
  // npm ci's install script: builds the forwarding addon for the target's Node (the server runs without it).
  'build/native.mjs',
  'build/rtcd.mjs',
  'build/jobs.mjs',
  'build/recorder.mjs',
  'server/dist',
  'server/native/binding.gyp',
  'server/native/rtc_native.c',
  'webapp/dist',
  'deploy/calls.service',
];

/**
 * The manifest Mattermost installs: ours without `server` (Mattermost would try to start a Go binary; our server is
 * the service), the webapp bundle path checked against the files packed.
 */
export function pluginManifest(manifest) {
  const {server: _server, ...rest} = manifest;
  return rest;
}

function copy(from, to) {
  fs.mkdirSync(path.dirname(to), {recursive: true});
  // Times kept: the service's freshness checks compare them (server/dist/.built against nothing newer).
  fs.cpSync(from, to, {recursive: true, preserveTimestamps: true});
}

function tarGz(stageDir, top, outFile) {
  fs.mkdirSync(path.dirname(outFile), {recursive: true});
  const r = spawnSync(
    'tar',
    ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '-czf', outFile, '-C', stageDir, top],
    {encoding: 'utf8'},
  );
  if (r.status !== 0) throw new Error(`tar failed for ${outFile}: ${r.stderr || r.error?.message}`);
}

/** Builds both tarballs into `out` (only the plugin's with `service: false`); returns their paths. */
export async function dist({out = path.join(ROOT, 'dist'), build = true, service = true} = {}) {
  if (build) {
    const {build: buildWebapp} = await import('./build.mjs');
    await buildWebapp();
    if (service) {
      const {compileServer} = await import('./compile-server.mjs');
      await compileServer();
    }
  }
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'plugin.json'), 'utf8'));
  const {id, version} = manifest;
  const bundle = manifest.webapp?.bundle_path;
  if (!bundle || !fs.existsSync(path.join(ROOT, bundle))) {
    throw new Error(`the webapp bundle ${bundle} is not built: run npm run build`);
  }
  if (service && !fs.existsSync(path.join(ROOT, 'server', 'dist', 'main.js'))) {
    throw new Error('the server is not compiled: run npm run build');
  }
  const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'calls-dist-'));
  try {
    // The plugin: the bundle and the static files it loads beside it (sounds, emoji); not the standalone page.
    const pluginDir = path.join(stage, 'plugin', id);
    const webappDist = path.join(ROOT, path.dirname(bundle));
    for (const name of fs.readdirSync(webappDist)) {
      if (name === 'standalone') continue;
      copy(path.join(webappDist, name), path.join(pluginDir, path.dirname(bundle), name));
    }
    fs.writeFileSync(path.join(pluginDir, 'plugin.json'), `${JSON.stringify(pluginManifest(manifest), null, 2)}\n`);
    const pluginTar = path.join(out, `${id}-${version}.tar.gz`);
    tarGz(path.join(stage, 'plugin'), id, pluginTar);
    if (!service) return {plugin: pluginTar, service: null};

    const serviceDir = path.join(stage, 'service', SERVICE_DIR);
    for (const f of SERVICE_FILES) {
      const from = path.join(ROOT, f);
      if (!fs.existsSync(from)) throw new Error(`${f} is missing: the service package needs it`);
      copy(from, path.join(serviceDir, f));
    }
    const addon = 'server/native/build/Release/calls_rtc_native.node';
    if (fs.existsSync(path.join(ROOT, addon))) copy(path.join(ROOT, addon), path.join(serviceDir, addon));
    const serviceTar = path.join(out, `calls-service-${version}.tar.gz`);
    tarGz(path.join(stage, 'service'), SERVICE_DIR, serviceTar);
    return {plugin: pluginTar, service: serviceTar};
  } finally {
    fs.rmSync(stage, {recursive: true, force: true});
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const outAt = args.indexOf('--out');
  const out = outAt >= 0 ? path.resolve(args[outAt + 1]) : undefined;
  dist({out, build: !args.includes('--no-build'), service: !args.includes('--plugin-only')})
    .then(({plugin, service}) => {
      console.log(`dist: ${path.relative(process.cwd(), plugin)}`);
      if (service) console.log(`dist: ${path.relative(process.cwd(), service)}`);
    })
    .catch((err) => {
      console.error(err.message || err);
      process.exit(1);
    });
}
