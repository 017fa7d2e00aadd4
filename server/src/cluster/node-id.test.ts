import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {Writable} from 'node:stream';
import pino from 'pino';
import {AppError} from '../errors';
import {isValidId} from '../ids';
import {NODE_ID_FILE, persistentNodeID} from './node-id';

function capturingLogger(): {logger: pino.Logger; lines: {level: number; msg: string}[]} {
  const lines: {level: number; msg: string}[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return {logger: pino({level: 'info'}, stream), lines};
}

describe('persistentNodeID', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'calls-node-id-'));
  });
  afterEach(() => fs.rmSync(dir, {recursive: true, force: true}));

  const file = () => path.join(dir, NODE_ID_FILE);
  const leftovers = () => fs.readdirSync(dir).filter((f) => f !== NODE_ID_FILE);

  it('creates an id on first use and writes it to the data directory', () => {
    const {logger, lines} = capturingLogger();
    const id = persistentNodeID(dir, logger);
    expect(isValidId(id)).toBe(true);
    expect(fs.readFileSync(file(), 'utf8')).toBe(`${id}\n`);
    expect(leftovers()).toEqual([]);
    expect(lines.map((l) => l.msg)).toEqual(['node id created']);
  });

  it('reuses the stored id on every later start without rewriting it', () => {
    const id = persistentNodeID(dir, capturingLogger().logger);
    const before = fs.statSync(file()).mtimeMs;
    const {logger, lines} = capturingLogger();
    expect(persistentNodeID(dir, logger)).toBe(id);
    expect(persistentNodeID(dir, logger)).toBe(id);
    expect(fs.statSync(file()).mtimeMs).toBe(before);
    expect(lines).toEqual([]);
  });

  it('keeps an id written by hand (surrounding whitespace ignored)', () => {
    fs.writeFileSync(file(), '  calls-1.example_A \n');
    expect(persistentNodeID(dir, capturingLogger().logger)).toBe('calls-1.example_A');
  });

  it.each([
    ['empty', ''],
    ['garbage', '\u0000\u0001not an id!'],
    ['too long', 'a'.repeat(65)],
    ['two lines', 'abc\ndef'],
  ])('replaces a corrupt file (%s) with a new id, and says so', (_what, content) => {
    fs.writeFileSync(file(), content);
    const {logger, lines} = capturingLogger();
    const id = persistentNodeID(dir, logger);
    expect(isValidId(id)).toBe(true);
    expect(fs.readFileSync(file(), 'utf8')).toBe(`${id}\n`);
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [40, 'the node id file does not hold a valid id; a new id replaces it'],
      [30, 'node id replaced'],
    ]);
    expect(persistentNodeID(dir, capturingLogger().logger)).toBe(id);
    expect(leftovers()).toEqual([]);
  });

  it('stops the start with a clear error when the file cannot be read', () => {
    fs.mkdirSync(file());
    expect(() => persistentNodeID(dir, capturingLogger().logger)).toThrow(AppError);
    expect(() => persistentNodeID(dir, capturingLogger().logger)).toThrow(`cannot read the node id file ${file()}`);
  });

  it('stops the start with a clear error when the file cannot be written', () => {
    const missing = path.join(dir, 'gone');
    let err: unknown;
    try {
      persistentNodeID(missing, capturingLogger().logger);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).id).toBe('app.calls.node_id.unwritable');
    expect((err as AppError).message).toContain(`cannot write the node id file ${path.join(missing, NODE_ID_FILE)}`);
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});
