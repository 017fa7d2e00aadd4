// The id a single node (integrated mode) keeps in its data directory, so that after a crash or a
// restart it recognises the calls it ran before (props.node_id) and can carry them on. Written once,
// atomically (temp file, fsync, rename); a file that does not hold a valid id is replaced by a new id.
import fs from 'node:fs';
import path from 'node:path';
import {AppError} from '../errors';
import {newId} from '../ids';
import type {Logger} from '../log';

export const NODE_ID_FILE = 'node-id';

/** What a node id may look like (the cluster stores it in a varchar(64)). */
const NODE_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function isValidNodeID(id: string): boolean {
  return NODE_ID_RE.test(id);
}

/**
 * The node id stored in `dataDir/node-id`, created on first use. An unreadable file stops the start
 * (the data directory is unusable anyway); a file whose content is not an id is replaced, with a
 * warning: calls pinned to the lost id are then ended at start like any other node's leftovers.
 */
export function persistentNodeID(dataDir: string, logger: Logger): string {
  const file = path.join(dataDir, NODE_ID_FILE);
  let content: string | null = null;
  try {
    content = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code !== 'ENOENT')
      throw new AppError('app.calls.node_id.unreadable', `cannot read the node id file ${file}: ${e.message}`, 500);
  }
  if (content !== null) {
    const id = content.trim();
    if (isValidNodeID(id)) return id;
    logger.warn({file, found: content.slice(0, 80)}, 'the node id file does not hold a valid id; a new id replaces it');
  }
  const id = newId();
  writeAtomically(file, `${id}\n`);
  logger.info({file, nodeID: id}, content === null ? 'node id created' : 'node id replaced');
  return id;
}

function writeAtomically(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    const fd = fs.openSync(tmp, 'w', 0o644);
    try {
      fs.writeFileSync(fd, text);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
    syncDirectory(path.dirname(file));
  } catch (err) {
    fs.rmSync(tmp, {force: true});
    throw new AppError(
      'app.calls.node_id.unwritable',
      `cannot write the node id file ${file}: ${(err as Error).message}`,
      500,
    );
  }
}

/** Makes the rename durable (a power loss right after the start must not lose the id). */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Some filesystems cannot fsync a directory; the rename itself is still atomic.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
