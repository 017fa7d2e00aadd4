// The recorder's uploader against a small in-test HTTP server playing the bot API: chunks with resume on
// 204, a failing request retried, a server that never accepts giving up, and what reaches the server.
import fs from 'node:fs';
import http from 'node:http';
import type {AddressInfo} from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {BotAPI} from '../../server/src/jobs/recorder/bot-api';
import {uploadRecording} from '../../server/src/jobs/recorder/upload';
import {silentLogger} from '../../server/src/log';

const ID = (c: string) => c.repeat(26);
const TOKEN = ID('t');
const BASE = '/plugins/com.mattermost.calls/bot';

interface FakeBot {
  url: string;
  received: Buffer;
  requests: string[];
  recordings: unknown[];
  /** Fail the next N requests matching the route with 500. */
  failNext: Map<string, number>;
  /** Take at most this many bytes per upload POST (then 204). */
  takePerPost: number;
  close(): Promise<void>;
}

async function fakeBot(): Promise<FakeBot> {
  const bot: FakeBot = {
    url: '',
    received: Buffer.alloc(0),
    requests: [],
    recordings: [],
    failNext: new Map(),
    takePerPost: Infinity,
    close: async () => undefined,
  };
  let session: {id: string; channel_id: string; filename: string; file_size: number; file_offset: number} | undefined;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const route = `${req.method} ${req.url!.replace(BASE, '')}`;
      bot.requests.push(route);
      const json = (status: number, v: unknown) => {
        res.writeHead(status, {'Content-Type': 'application/json'});
        res.end(JSON.stringify(v));
      };
      if (req.headers.authorization !== `Bearer ${TOKEN}`) return json(401, {id: 'unauthorized'});
      const fails = bot.failNext.get(route.replace(/\/[a-z0-9]{26}/g, '/{id}')) ?? 0;
      if (fails > 0) {
        bot.failNext.set(route.replace(/\/[a-z0-9]{26}/g, '/{id}'), fails - 1);
        return json(500, {id: 'boom'});
      }
      if (route === 'POST /uploads') {
        const s = JSON.parse(body.toString()) as {channel_id: string; filename: string; file_size: number};
        session = {id: ID('u'), ...s, file_offset: 0};
        return json(200, session);
      }
      if (route === `GET /uploads/${ID('u')}`) return json(200, session);
      if (route === `POST /uploads/${ID('u')}`) {
        const take = body.subarray(0, Math.min(body.length, bot.takePerPost));
        bot.received = Buffer.concat([bot.received, take]);
        session!.file_offset += take.length;
        if (session!.file_offset < session!.file_size) {
          res.writeHead(204);
          return res.end();
        }
        return json(200, {id: ID('f'), name: session!.filename, size: session!.file_size, mime_type: 'video/mp4'});
      }
      if (route === `POST /calls/${ID('c')}/recordings`) {
        bot.recordings.push(JSON.parse(body.toString()));
        return json(200, {id: ID('p')});
      }
      json(404, {id: 'not_found'});
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  bot.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  bot.close = () => new Promise((r) => server.close(() => r()));
  return bot;
}

let dir: string;
let bot: FakeBot;
let file: string;
const content = Buffer.from(Array.from({length: 100_000}, (_, i) => (i * 7) & 0xff));

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rec-upload-'));
  file = path.join(dir, 'Call_Town_hall_2024-01-01_10-00-00.mp4');
  fs.writeFileSync(file, content);
  bot = await fakeBot();
});

afterEach(async () => {
  await bot.close();
  fs.rmSync(dir, {recursive: true, force: true});
});

const upload = (extra: {attempts?: number; chunkSize?: number} = {}) =>
  uploadRecording({
    api: new BotAPI(bot.url, TOKEN),
    log: silentLogger(),
    file,
    callID: ID('c'),
    postID: ID('p'),
    recordingID: ID('r'),
    attempts: extra.attempts ?? 3,
    backoffMs: 10,
    chunkSize: extra.chunkSize ?? 30_000,
  });

it('sends the file in chunks, resumes from the server offset after a 204, and posts the recording', async () => {
  // The server keeps only part of each request: the uploader must resume from file_offset, not from its own count.
  bot.takePerPost = 20_000;
  const info = await upload();
  expect(info.id).toBe(ID('f'));
  expect(bot.received.equals(content)).toBe(true);
  expect(bot.requests.filter((r) => r === `GET /uploads/${ID('u')}`).length).toBeGreaterThan(1);
  expect(bot.recordings).toEqual([{JobID: ID('r'), PostID: ID('p'), FileIDs: [ID('f')]}]);
  const created = bot.requests.filter((r) => r === 'POST /uploads');
  expect(created).toHaveLength(1);
});

it('retries after a failure and completes without creating a second session or duplicating bytes', async () => {
  bot.failNext.set('POST /uploads/{id}', 1);
  bot.failNext.set('POST /calls/{id}/recordings', 1);
  await upload();
  expect(bot.received.equals(content)).toBe(true);
  expect(bot.requests.filter((r) => r === 'POST /uploads')).toHaveLength(1);
  expect(bot.recordings).toHaveLength(1);
});

it('gives up after the configured attempts', async () => {
  bot.failNext.set('POST /uploads', 100);
  await expect(upload({attempts: 2})).rejects.toThrow(/HTTP 500/);
  expect(bot.requests.filter((r) => r === 'POST /uploads')).toHaveLength(2);
  expect(bot.recordings).toHaveLength(0);
});

it('stops when the server keeps answering 204 without taking data', async () => {
  bot.takePerPost = 0;
  await expect(upload({attempts: 1})).rejects.toThrow(/does not take more data/);
});
