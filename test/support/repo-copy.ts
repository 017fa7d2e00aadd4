// A checkout of its own for tests that build or package: the repository's build scripts and server sources
// copied with their times kept (the builds' freshness checks count them), node_modules, the webapp and the
// native addon linked, so nothing touches the checkout's own build output.
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

/** Directories too keep their times (the builds' freshness checks count a directory's mtime). */
function copyKeepingTimes(from: string, to: string): void {
  const st = fs.statSync(from);
  if (st.isDirectory()) {
    fs.mkdirSync(to, {recursive: true});
    for (const name of fs.readdirSync(from)) copyKeepingTimes(path.join(from, name), path.join(to, name));
  } else fs.copyFileSync(from, to);
  fs.utimesSync(to, st.atime, st.mtime);
}

/** Fills `dir` with the copy (and `extra` paths of the repository, copied too); returns `dir`. */
export function copyOfRepo(dir: string, extra: string[] = []): string {
  for (const p of [
    'build',
    'server/src',
    ...extra,
    'plugin.json',
    'package.json',
    'package-lock.json',
    'tsconfig.json',
  ])
    copyKeepingTimes(path.join(ROOT, p), path.join(dir, p));
  for (const p of ['node_modules', 'webapp', 'server/native']) fs.symlinkSync(path.join(ROOT, p), path.join(dir, p));
  return dir;
}
