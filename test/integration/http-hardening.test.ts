// The HTTP edge against hostile clients, over raw sockets: static paths that are not files (or try to
// leave the webapp's directory), connections that send their request slowly or never, connection
// floods, and websocket handshakes opened by another site's page with the user's cookie.
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import {login, WsTestClient} from '../support/calls-client';
import {startTestServer, type TestServer} from '../support/server';
import {sleep} from '../support/wait';

jest.setTimeout(30_000);

const PLUGIN_STATIC = '/static/plugins/com.mattermost.calls/';

/** A request with its path sent exactly as given (fetch would normalise dot segments). */
function rawGet(url: string, rawPath: string): Promise<{status: number; body: string}> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({host: u.hostname, port: u.port, path: rawPath, method: 'GET'}, (res) => {
      let body = '';
      res.on('data', (d) => (body += String(d)));
      res.on('end', () => resolve({status: res.statusCode ?? 0, body}));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens a raw TCP connection, writes `data`, and resolves with what came back once the server closes it. */
function holdOpen(url: string, data: string, timeoutMs: number): Promise<{closed: boolean; received: string}> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const s = net.connect(Number(u.port), u.hostname, () => {
      if (data) s.write(data);
    });
    let received = '';
    s.on('data', (d) => (received += String(d)));
    s.on('error', () => undefined);
    const t = setTimeout(() => {
      s.destroy();
      resolve({closed: false, received});
    }, timeoutMs);
    s.on('close', () => {
      clearTimeout(t);
      resolve({closed: true, received});
    });
  });
}

function connectRaw(url: string): Promise<net.Socket> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const s = net.connect(Number(u.port), u.hostname, () => resolve(s));
    s.on('error', reject);
  });
}

/** True when the server closes the connection within `ms` without a byte sent. */
function closedByServer(s: net.Socket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (s.destroyed || s.readableEnded) return resolve(true);
    const t = setTimeout(() => resolve(false), ms);
    s.once('close', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

describe('static files', () => {
  let srv: TestServer;
  let root: string;

  beforeAll(async () => {
    // The webapp build sits next to a file it must never serve.
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'calls-static-'));
    const dist = path.join(root, 'dist');
    fs.mkdirSync(path.join(dist, 'standalone'), {recursive: true});
    fs.writeFileSync(path.join(dist, 'main.js'), 'console.log("bundle");');
    fs.writeFileSync(path.join(dist, '100%.txt'), 'percent');
    fs.writeFileSync(path.join(dist, 'standalone', 'index.html'), '<html></html>');
    fs.writeFileSync(path.join(root, 'secret.txt'), 'TOP-SECRET-CONTENT');
    srv = await startTestServer({webappDist: dist, seed: false});
  });
  afterAll(async () => {
    await srv.stop();
    fs.rmSync(root, {recursive: true, force: true});
  });

  test('files are served; "%25" is a 404, not a 500 (the path was decoded twice)', async () => {
    expect(await rawGet(srv.url, `${PLUGIN_STATIC}main.js`)).toEqual({status: 200, body: 'console.log("bundle");'});
    expect(await rawGet(srv.url, `${PLUGIN_STATIC}100%25.txt`)).toEqual({status: 200, body: 'percent'});
    const r = await rawGet(srv.url, `${PLUGIN_STATIC}%25`);
    expect(r.status).toBe(404);
    expect(JSON.parse(r.body)).toEqual({id: 'api.context.404.app_error', message: 'Not found', status_code: 404});
  });

  test.each(
    [
      '..%2fsecret.txt',
      '..%2F..%2Fsecret.txt',
      '%2e%2e/secret.txt',
      '%2e%2e%2fsecret.txt',
      '%2E%2E%2F%2E%2E%2Fsecret.txt',
      '..%252fsecret.txt',
      '%252e%252e%252fsecret.txt',
      '../secret.txt',
      '..\\secret.txt',
      '..%5csecret.txt',
      '%2f..%2fsecret.txt',
      '%2fetc%2fpasswd',
      '%252fetc%252fpasswd',
      'main.js%00.png',
      '%00',
      '..%00/secret.txt',
      '%c0%ae%c0%ae/secret.txt',
      '%e0%80%ae%e0%80%ae/secret.txt',
      '%E0%A4%A',
      '%',
      '%%32%65%%32%65/secret.txt',
      `${'a/'.repeat(2000)}main.js`,
      `${'..%2f'.repeat(200)}secret.txt`,
      'x'.repeat(6000),
    ].map((p) => [p.length > 48 ? `${p.slice(0, 48)}… (${p.length} chars)` : p, p]),
  )('GET %s is refused (4xx) and never leaves the directory', async (_name, p) => {
    for (const prefix of [PLUGIN_STATIC, '/static/standalone/']) {
      const r = await rawGet(srv.url, `${prefix}${p}`);
      expect([400, 404, 414, 431]).toContain(r.status);
      expect(r.body).not.toContain('TOP-SECRET');
      expect(r.body).not.toContain('root:');
      if (r.status === 400 || r.status === 404)
        expect(JSON.parse(r.body)).toEqual(expect.objectContaining({status_code: r.status}));
    }
  });
});

describe('timeouts and connection caps', () => {
  let srv: TestServer;

  beforeAll(async () => {
    srv = await startTestServer({
      httpLimits: {
        headersTimeoutMs: 400,
        requestTimeoutMs: 800,
        keepAliveTimeoutMs: 400,
        timeoutCheckIntervalMs: 100,
        maxConnectionsPerIP: 6,
      },
    });
  });
  afterAll(async () => {
    await srv.stop();
  });

  test('a client sending half a header is cut off after the headers timeout (408)', async () => {
    const r = await holdOpen(srv.url, 'GET /api/v4/config/client HTTP/1.1\r\nHost: x\r\nX-Slow: ', 5000);
    expect(r.closed).toBe(true);
    expect(r.received).toMatch(/^HTTP\/1\.1 408/);
  });

  test('a client sending its body slowly is cut off after the request timeout', async () => {
    const r = await holdOpen(
      srv.url,
      'POST /api/v4/users/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"login_id"',
      5000,
    );
    expect(r.closed).toBe(true);
    expect(r.received).toMatch(/^HTTP\/1\.1 408/);
  });

  test('an idle keep-alive connection is closed after the keep-alive timeout', async () => {
    const r = await holdOpen(srv.url, 'GET /api/v4/config/client HTTP/1.1\r\nHost: x\r\n\r\n', 5000);
    expect(r.closed).toBe(true);
    expect(r.received).toMatch(/^HTTP\/1\.1 200/);
  });

  test('a websocket outlives every HTTP timeout', async () => {
    const alice = await login(srv.url, 'alice');
    const ws = new WsTestClient(srv.url, alice.token);
    await ws.connect();
    await sleep(2000);
    expect(await ws.ping()).toEqual(expect.objectContaining({status: 'OK'}));
    await ws.close();
  });

  test('connections beyond the per-address cap are closed at once; a freed slot can be used again', async () => {
    const held = await Promise.all(Array.from({length: 6}, () => connectRaw(srv.url)));
    await sleep(100);
    const extra = await connectRaw(srv.url);
    expect(await closedByServer(extra, 2000)).toBe(true);
    held.pop()!.destroy();
    await sleep(100);
    const again = await fetch(`${srv.url}/api/v4/config/client`);
    expect(again.status).toBe(200);
    for (const s of held) s.destroy();
  });
});

test('the total connection cap (MM_CALLS_HTTP_MAX_CONNECTIONS); behind a trusted proxy no per-address cap', async () => {
  const srv = await startTestServer({
    seed: false,
    env: {MM_CALLS_HTTP_MAX_CONNECTIONS: '8', MM_CALLS_TRUSTED_PROXY_IP_HEADER: 'X-Forwarded-For'},
  });
  const held: net.Socket[] = [];
  try {
    for (let i = 0; i < 8; i++) held.push(await connectRaw(srv.url));
    await sleep(100);
    for (const s of held) expect(s.destroyed).toBe(false);
    const extra = await connectRaw(srv.url);
    expect(await closedByServer(extra, 2000)).toBe(true);
  } finally {
    for (const s of held) s.destroy();
    await srv.stop();
  }
});

test('an invalid MM_CALLS_HTTP_MAX_CONNECTIONS_PER_IP stops the start naming the variable', async () => {
  const started = await startTestServer({seed: false, env: {MM_CALLS_HTTP_MAX_CONNECTIONS_PER_IP: 'lots'}}).catch(
    (err: Error) => err,
  );
  if (!(started instanceof Error)) await started.stop();
  expect(String(started)).toContain(
    'invalid MM_CALLS_HTTP_MAX_CONNECTIONS_PER_IP: "lots" is not a non-negative integer',
  );
});

describe('websocket Origin', () => {
  let srv: TestServer;
  let token: string;

  beforeAll(async () => {
    srv = await startTestServer();
    token = (await login(srv.url, 'alice')).token;
  });
  afterAll(async () => {
    await srv.stop();
  });

  /** Opens the websocket with the given headers: the hello event's user, or the refusal's status. */
  function open(
    headers: Record<string, string>,
    path = '/api/v4/websocket',
  ): Promise<{status: number; userID?: string}> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${srv.url.replace('http', 'ws')}${path}`, {headers});
      ws.on('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += String(d)));
        res.on('end', () => {
          expect(body).toContain('Origin');
          resolve({status: res.statusCode ?? 0});
        });
      });
      ws.on('message', (raw) => {
        const ev = JSON.parse(String(raw));
        if (ev.event === 'hello') {
          ws.close();
          resolve({status: 101, userID: ev.broadcast.user_id});
        }
      });
      ws.on('error', (err) => {
        if (!/Unexpected server response/.test(err.message)) reject(err);
      });
    });
  }

  test("another site's page cannot open a websocket with the user's cookie (plain 403)", async () => {
    expect(await open({Origin: 'https://evil.example', Cookie: `MMAUTHTOKEN=${token}`})).toEqual({status: 403});
    expect(await open({Origin: 'null', Cookie: `MMAUTHTOKEN=${token}`})).toEqual({status: 403});
    const port = new URL(srv.url).port;
    expect(await open({Origin: `http://127.0.0.1:${Number(port) + 1}`, Cookie: `MMAUTHTOKEN=${token}`})).toEqual({
      status: 403,
    });
  });

  test('our own pages (the site URL, or the host the request went to) and clients without an Origin can', async () => {
    const alice = (await login(srv.url, 'alice')).user.id;
    const port = new URL(srv.url).port;
    // The site URL is http://localhost:<port>; the request goes to 127.0.0.1.
    expect(await open({Origin: `http://localhost:${port}`, Cookie: `MMAUTHTOKEN=${token}`})).toEqual({
      status: 101,
      userID: alice,
    });
    expect(await open({Origin: srv.url, Cookie: `MMAUTHTOKEN=${token}`})).toEqual({status: 101, userID: alice});
    expect(await open({Authorization: `Bearer ${token}`})).toEqual({status: 101, userID: alice});
  });

  test("the plugin's websocket path (the recorder's, and Mattermost's clients') answers under the same rules", async () => {
    const alice = (await login(srv.url, 'alice')).user.id;
    const path = '/plugins/com.mattermost.calls/websocket';
    expect(await open({Authorization: `Bearer ${token}`}, path)).toEqual({status: 101, userID: alice});
    expect(await open({Origin: 'https://evil.example', Cookie: `MMAUTHTOKEN=${token}`}, path)).toEqual({status: 403});
  });
});
