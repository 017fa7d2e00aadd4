// Proves `npm ci` would work on a clean checkout: package.json and package-lock.json (as committed, and
// as in the working tree) are in sync. `npm install` silently repairs a stale lock, so CI, which runs
// `npm install`, would never notice; operators and CI systems that run `npm ci` would fail.
import {spawnSync} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Runs `npm ci --dry-run` on one package.json + lock pair in a scratch directory; returns an error text or null. */
function dryRunCi(pkg, lock) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'calls-lockcheck-'));
  try {
    fs.writeFileSync(path.join(dir, 'package.json'), pkg);
    fs.writeFileSync(path.join(dir, 'package-lock.json'), lock);
    const r = spawnSync('npm', ['ci', '--dry-run', '--ignore-scripts', '--no-audit', '--no-fund'], {
      cwd: dir,
      encoding: 'utf8',
    });
    if (r.status === 0) return null;
    const lines = `${r.stdout}\n${r.stderr}`
      .split('\n')
      .filter((l) => /npm error (code|Missing|Invalid|`npm ci`)/.test(l));
    return lines.slice(0, 8).join('\n') || `npm ci --dry-run exited with ${r.status}`;
  } finally {
    fs.rmSync(dir, {recursive: true, force: true});
  }
}

function gitShow(root, file) {
  const r = spawnSync('git', ['show', `HEAD:${file}`], {cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024});
  return r.status === 0 ? r.stdout : null;
}

/** {ok, note}: checks the working tree's pair and, inside a git checkout, the committed pair. */
export function checkLockfile(root) {
  const pairs = [
    [
      'working tree',
      fs.readFileSync(path.join(root, 'package.json'), 'utf8'),
      fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8'),
    ],
  ];
  const pkg = gitShow(root, 'package.json');
  const lock = gitShow(root, 'package-lock.json');
  if (pkg !== null && lock !== null) pairs.push(['HEAD', pkg, lock]);
  for (const [name, p, l] of pairs) {
    const err = dryRunCi(p, l);
    if (err) {
      console.error(
        `[test] package-lock.json (${name}) is out of sync with package.json; \`npm ci\` would fail:\n${err}\nRun \`npm install\` and commit package-lock.json.`,
      );
      return {ok: false, note: `out of sync (${name})`};
    }
  }
  return {ok: true, note: `npm ci would succeed (${pairs.map((p) => p[0]).join(', ')})`};
}
