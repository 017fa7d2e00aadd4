// Hostile HTTP requests on every route the server registered (its own route table, not a list kept
// here): path parameters that are missing, huge, encoded wrongly or pointing elsewhere, bodies that are
// not JSON, wrongly typed, deeply nested or over the 1 MiB limit, wrong content types and methods, and
// every way of (not) being logged in. Every answer is checked: no 5xx, no leaked internals, an answer.
import http from 'node:http';
import net from 'node:net';
import {type Findings, shorten, Tally} from './findings';
import type {Rng} from './rng';
import {
  deepJSON,
  encodeComponent,
  hostileObject,
  hostileString,
  hostileValue,
  mutateObject,
  randomId,
  scrub,
  type ValueContext,
  findLeak,
} from './values';

export interface Route {
  method: string;
  url: string;
}

/** Real ids by the kind of path parameter that takes them. */
export interface PathIds {
  channels: readonly string[];
  users: readonly string[];
  posts: readonly string[];
  teams: readonly string[];
  names: readonly string[];
  sessions: readonly string[];
}

export interface HttpFuzzTarget {
  baseURL: string;
  routes: readonly Route[];
  ids: PathIds;
  /** Logged-in normal users (spread over, so the per-user rate limit leaves room for the handlers). */
  userTokens: string[];
  adminToken: string;
  /** The Calls bot's token, when the harness has it: requests with it reach the bot API's handlers. */
  botToken?: string;
  /** Called when a request logged a token out, to get a fresh one for the same user. */
  relogin(token: string): Promise<string | null>;
  /**
   * Rewrites a request that would break the fuzz harness itself (archiving the channel the websocket fuzz
   * joins, for instance), or returns it unchanged.
   */
  guard?(method: string, path: string, body: string | Buffer | undefined): {method: string; path: string};
}

export interface HttpFuzzStats {
  requests: number;
  byRoute: Tally;
  byStatus: Tally;
  byAuth: Tally;
  raw: number;
  /** Requests the connection failed for, one example per error code (for the summary). */
  errorSamples: Map<string, string>;
}

export function newHttpStats(): HttpFuzzStats {
  return {
    requests: 0,
    byRoute: new Tally(),
    byStatus: new Tally(),
    byAuth: new Tally(),
    raw: 0,
    errorSamples: new Map(),
  };
}

const PATH_JUNK = [
  '%00',
  '%25',
  '%',
  '%zz',
  '%2',
  '..',
  '.',
  '../',
  '..%2f..%2f..%2fetc%2fpasswd',
  '%2e%2e%2f%2e%2e%2f',
  '%2F',
  '%5c..%5c',
  '%C0%AE%C0%AE%2F',
  '%EF%BF%BF',
  '%F0%9F%8E%89',
  '%E0%A4%A',
  '%FF%FE',
  '%20',
  '%0d%0aSet-Cookie:%20x=1',
  ';',
  '%3B',
  '%3F',
  '%23',
  'me',
  '__proto__',
  'constructor',
  '-1',
  '0',
  'null',
  'undefined',
  'NaN',
  'true',
  '%7B%7D',
  '%5B%5D',
  'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
  'é',
  '\u00ff\u00fe',
];

const WILDCARD_JUNK = [
  'main.js',
  'main.js%00.png',
  'standalone/index.html',
  'index.html',
  '../../../../etc/passwd',
  '..%2f..%2f..%2fpackage.json',
  '%2e%2e/%2e%2e/package.json',
  'a/b/c/d/e/f',
  '.git/config',
  '%25',
  '%25%32%65',
  '%',
  'x'.repeat(10_000),
  '',
  '/',
  '//',
  'main.js?x=1',
  'main.js/',
  '%00',
  '..\\..\\package.json',
];

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'application/json; charset=latin1',
  'text/plain',
  'text/plain; charset=utf-8',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'application/xml',
  'application/octet-stream',
  '*/*',
  'application/vnd.api+json',
  'application/json, text/plain',
  'json',
  '',
  'application/json; boundary=' + 'x'.repeat(2000),
];

const OTHER_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'TRACE', 'PROPFIND', 'SEARCH'];

/** A segment for a `:param`: a real id of the right kind, a real id of the wrong kind, or junk. */
function paramValue(rng: Rng, name: string, ids: PathIds): string {
  const right = /channel|^id$/.test(name)
    ? ids.channels
    : /user/.test(name)
      ? ids.users
      : /team/.test(name)
        ? ids.teams
        : name === 'name'
          ? ids.names
          : ids.posts;
  const all = [...ids.channels, ...ids.users, ...ids.posts, ...ids.teams, ...ids.sessions];
  const kind = rng.weighted([
    [5, 'right'],
    [1, 'wrong'],
    [1, 'random'],
    [5, 'junk'],
    [1, 'huge'],
    [1, 'unicode'],
  ] as const);
  switch (kind) {
    case 'right':
      return encodeComponent(rng.pick(right.length ? right : all));
    case 'wrong':
      return encodeComponent(rng.pick(all));
    case 'random':
      return randomId(rng);
    case 'junk':
      return rng.pick(PATH_JUNK);
    case 'huge':
      return rng.pick(['a', '%41', 'é', '%25']).repeat(rng.range(1000, 10_000));
    case 'unicode':
      return encodeComponent(hostileString(rng, {ids: []}, 300)).replace(/%25/g, rng.chance(0.5) ? '%' : '%25');
  }
}

/** Fills a route pattern's parameters; the result may be a different path entirely. */
function fillPath(rng: Rng, pattern: string, ids: PathIds): string {
  let path = pattern.replace(/:([a-z_]+)/g, (_m, name: string) => paramValue(rng, name, ids));
  if (path.endsWith('*'))
    path = path.slice(0, -1) + (rng.chance(0.7) ? rng.pick(WILDCARD_JUNK) : paramValue(rng, 'id', ids));
  if (rng.chance(0.05)) path = path.replace(/\/[^/]*$/, ''); // a parameter missing
  if (rng.chance(0.05)) path += '/';
  if (rng.chance(0.03)) path = path.replace(/\//g, '//');
  if (rng.chance(0.15)) {
    path +=
      '?' +
      rng.pick([
        'page=-1&per_page=1e9',
        'page=1&page=2',
        '__proto__[x]=1',
        'constructor[prototype][x]=1',
        `a=${'x'.repeat(rng.range(100, 6000))}`,
        'per_page=%00',
        'page=NaN&per_page=-5',
        '%',
        '&&&',
        'per_page=' + '9'.repeat(400),
        'x=%E0%A4%A',
      ]);
  }
  // http.request refuses characters outside 0x21–0xff; send those escaped, leave the rest as it is.
  return path.replace(/[^\u0021-\u00ff]/gu, (c) => encodeComponent(c));
}

/** A body the route would accept, before mutation (the few routes that take one). */
function bodyTemplate(rng: Rng, method: string, url: string, ids: PathIds): unknown {
  const ch = () => rng.pick(ids.channels);
  const user = () => rng.pick(ids.users);
  if (url.endsWith('/users/login')) return {login_id: `nobody${rng.int(1000)}`, password: 'wrong-password'};
  if (url === '/api/v4/users')
    return {
      username: `fz${randomId(rng).slice(0, 10)}`,
      password: 'secret-pass',
      email: `${randomId(rng)}@example.com`,
    };
  if (url.endsWith('/users/ids') || url.endsWith('/channels/direct')) return [user(), user()];
  if (url.endsWith('/users/usernames')) return ['alice', 'bob', 'nobody'];
  if (url.endsWith('/channels/group')) return [user(), user(), user()];
  if (url === '/api/v4/channels')
    return {
      team_id: rng.pick(ids.teams),
      name: `fz-${randomId(rng).slice(0, 8)}`,
      display_name: 'Fuzz',
      type: rng.pick(['O', 'P']),
    };
  if (url.endsWith('/members') && method === 'POST') return {user_id: user()};
  if (url === '/api/v4/posts')
    return {channel_id: ch(), message: 'hello', ...(rng.chance(0.3) ? {root_id: rng.pick(ids.posts)} : {})};
  if (url.endsWith('/commands/execute'))
    return {
      command: rng.pick([
        '/call link',
        '/call stats e30=',
        '/call start',
        '/call',
        '/echo x',
        '/call stats ' + 'A'.repeat(3000),
      ]),
      channel_id: ch(),
      team_id: rng.pick(ids.teams),
    };
  if (url === '/api/v4/config')
    return {
      PluginSettings: {
        Plugins: {
          'com.mattermost.calls': {
            MaxCallParticipants: rng.pick([0, 1, -1, 'x', 1e9]),
            DefaultEnabled: rng.pick([true, 'yes', null]),
          },
        },
      },
    };
  // Recording: the bot API (reference §4.3), with Go-style keys as the recorder sends them.
  if (url.endsWith('/bot/uploads') && method === 'POST')
    return {
      channel_id: ch(),
      filename: rng.pick(['rec.mp4', '../x', 'a'.repeat(300)]),
      file_size: rng.pick([1, 10, -1, 2 ** 60]),
    };
  if (url.endsWith('/jobs/:job_id/status'))
    return {
      JobType: rng.pick(['recording', 'transcribing', 'x']),
      Status: rng.pick(['started', 'failed', '']),
      omitempty: 'err',
    };
  if (url.endsWith('/bot/calls/:channel_id/recordings'))
    return {JobID: randomId(rng), PostID: rng.pick(ids.posts), FileIDs: [randomId(rng)]};
  if (url.endsWith('/host/make')) return {new_host_id: user()};
  if (/\/host\/(mute|screen-off|lower-hand|remove)$/.test(url))
    return {session_id: rng.pick([...ids.sessions, randomId(rng)])};
  if (url.endsWith('/logs/upload'))
    return {logs: 'log line\n'.repeat(rng.range(1, 2000)), channel_id: ch(), team_id: rng.pick(ids.teams)};
  // Connectivity check: a browser's result (every field bounded) and an offer for a check session.
  if (url.endsWith('/connectivity/results')) {
    const t = () => ({
      ok: rng.chance(0.5),
      tried: true,
      rtt_ms: rng.pick([1, 0, -1, 1e9]),
      loss: rng.pick([0, 0.5, 2]),
    });
    return {udp: t(), tcp: t(), relay: t(), auto: t(), udp_port: 8443, tcp_port: null, turn_urls: ['turn:x:3478']};
  }
  if (url.endsWith('/connectivity/check'))
    return {offer: {type: 'offer', sdp: rng.pick(['v=0\r\n', 'x'.repeat(rng.range(1, 30_000))])}};
  if (url.endsWith('/:channel_id') && method === 'POST')
    return {enabled: true, props: rng.chance(0.5) ? hostileObject(rng, {ids: []}) : {}};
  return undefined;
}

interface Planned {
  route: Route;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | Buffer | undefined;
  auth: string;
}

function planBody(
  rng: Rng,
  route: Route,
  method: string,
  ids: PathIds,
  ctx: ValueContext,
): {body: string | Buffer | undefined; type: string | undefined; label: string} {
  const template = bodyTemplate(rng, method, route.url, ids);
  const kind = rng.weighted([
    [method === 'GET' || method === 'HEAD' ? 6 : 1, 'none'],
    [template ? 4 : 0, 'template'],
    [template ? 6 : 1, 'mutated'],
    [2, 'hostile'],
    [2, 'notJSON'],
    [1, 'deep'],
    [1, 'huge'],
    [1, 'empty'],
    [1, 'form'],
  ] as const);
  const jsonType = () => (rng.chance(0.8) ? 'application/json' : rng.pick(CONTENT_TYPES));
  switch (kind) {
    case 'none':
      return {body: undefined, type: rng.chance(0.2) ? rng.pick(CONTENT_TYPES) : undefined, label: kind};
    case 'template':
      return {body: JSON.stringify(template), type: jsonType(), label: kind};
    case 'mutated': {
      const base =
        template && typeof template === 'object' && !Array.isArray(template)
          ? (template as Record<string, unknown>)
          : {value: template};
      const m = Array.isArray(template)
        ? template.map((x) => (rng.chance(0.4) ? hostileValue(rng, ctx) : x))
        : mutateObject(rng, ctx, base);
      return {body: JSON.stringify(m), type: jsonType(), label: kind};
    }
    case 'hostile':
      return {
        body: JSON.stringify(rng.chance(0.5) ? hostileObject(rng, ctx) : hostileValue(rng, ctx)),
        type: jsonType(),
        label: kind,
      };
    case 'notJSON':
      return {
        body: scrub(
          rng.pick([
            '{',
            '{"a":',
            '[1,2',
            'undefined',
            "{'a':1}",
            '{"a":1}}',
            '\u0000',
            'NaN',
            '{"__proto__":{"x":1}}',
            hostileString(rng, ctx, 5000),
          ]),
        ),
        type: jsonType(),
        label: kind,
      };
    case 'deep': {
      const depth = rng.range(1000, 150_000);
      if (template && typeof template === 'object' && !Array.isArray(template) && rng.chance(0.6)) {
        // A field of an otherwise valid body nested deep (a record field that takes anything, for instance).
        const keys = Object.keys(template as object);
        const key = rng.pick(keys);
        const text = JSON.stringify(template);
        const marker = JSON.stringify({[key]: (template as Record<string, unknown>)[key]}).slice(1, -1);
        return {
          body: text.replace(marker, `${JSON.stringify(key)}:${deepJSON(rng, depth)}`),
          type: 'application/json',
          label: kind,
        };
      }
      return {body: deepJSON(rng, depth), type: 'application/json', label: kind};
    }
    case 'huge': {
      const size = rng.pick([1024 * 1024 + 1, 1100 * 1024, 3 * 1024 * 1024 + 10, 5 * 1024 * 1024]);
      return {
        body: JSON.stringify({logs: 'x'.repeat(size), channel_id: rng.pick(ids.channels)}),
        type: jsonType(),
        label: kind,
      };
    }
    case 'empty':
      return {body: '', type: jsonType(), label: kind};
    case 'form':
      return {
        body: rng.chance(0.5)
          ? 'a=1&b=2&__proto__[x]=1'
          : '--xyz\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--xyz--',
        type: rng.pick(['application/x-www-form-urlencoded', 'multipart/form-data; boundary=xyz', 'text/plain']),
        label: kind,
      };
  }
}

function plan(rng: Rng, route: Route, t: HttpFuzzTarget, ctx: ValueContext): Planned {
  const method = rng.chance(0.85) ? route.method : rng.pick(OTHER_METHODS);
  const path = fillPath(rng, route.url, t.ids);
  const {body, type} = planBody(rng, route, method, t.ids, ctx);
  const headers: Record<string, string> = {};
  if (type !== undefined) headers['Content-Type'] = type;
  const token = rng.pick(t.userTokens);
  const auth = rng.weighted([
    [3, 'none'],
    [2, 'badToken'],
    [1, 'malformed'],
    [2, 'cookieNoCsrf'],
    [1, 'cookieCsrf'],
    [6, 'user'],
    [3, 'admin'],
    [1, 'garbageCookie'],
    [t.botToken ? 3 : 0, 'bot'],
  ] as const);
  switch (auth) {
    case 'none':
      break;
    case 'badToken':
      headers.Authorization = `Bearer ${rng.chance(0.5) ? randomId(rng) : rng.bytes(24).toString('hex')}`;
      break;
    case 'malformed':
      headers.Authorization = rng.pick([
        'Bearer',
        'Bearer ',
        'Bearer a b',
        'Basic YWRtaW46YWRtaW4=',
        `Token ${'x'.repeat(rng.range(100, 8000))}`,
        'bearer\t' + token,
        `Bearer ${token}\u00ff`,
      ]);
      break;
    case 'cookieNoCsrf':
      headers.Cookie = `MMAUTHTOKEN=${rng.chance(0.3) ? t.adminToken : token}`;
      break;
    case 'cookieCsrf':
      headers.Cookie = `MMAUTHTOKEN=${token}`;
      headers['X-Requested-With'] = 'XMLHttpRequest';
      break;
    case 'user':
      headers.Authorization = `Bearer ${token}`;
      break;
    case 'admin':
      headers.Authorization = `Bearer ${t.adminToken}`;
      break;
    case 'bot':
      headers.Authorization = `Bearer ${t.botToken}`;
      break;
    case 'garbageCookie':
      headers.Cookie = rng.pick([
        `MMAUTHTOKEN=%E0%A4%A; x=${'y'.repeat(rng.range(10, 6000))}`,
        'MMAUTHTOKEN',
        '=;=;=',
        `MMAUTHTOKEN=${token}; MMAUTHTOKEN=bad`,
        '\u00ff\u00fe=1',
      ]);
      break;
  }
  if (rng.chance(0.05)) headers['Content-Encoding'] = rng.pick(['gzip', 'deflate', 'br', 'x-bomb']);
  if (rng.chance(0.05)) headers['X-Forwarded-For'] = rng.pick(['1.2.3.4', 'x'.repeat(3000), '::1, 999.1.1.1', '']);
  if (rng.chance(0.03)) headers.Accept = rng.pick(['text/html', 'application/xml', '*/*;q=x', '']);
  const guarded = t.guard ? t.guard(method, path, body) : {method, path};
  return {route, method: guarded.method, path: guarded.path, headers, body, auth};
}

interface Answer {
  status: number;
  type: string;
  body: string;
}

/** Sockets that have a listener for late errors (a reset after the answer, while a big body is still being written). */
const guarded = new WeakSet<net.Socket>();

function send(agent: http.Agent, baseURL: string, p: Planned, timeoutMs: number): Promise<Answer> {
  const {hostname, port} = new URL(baseURL);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: hostname,
        port: Number(port),
        method: p.method,
        path: p.path,
        headers: p.headers,
        agent,
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (d: Buffer) => {
          // Static files can be large; the start of a body is enough to look for leaks.
          if (size < 256 * 1024) chunks.push(d);
          size += d.length;
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            type: String(res.headers['content-type'] ?? ''),
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('socket', (sock: net.Socket) => {
      if (guarded.has(sock)) return;
      guarded.add(sock);
      sock.on('error', () => undefined);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    if (p.body !== undefined && p.method !== 'GET' && p.method !== 'HEAD') req.end(p.body);
    else req.end();
  });
}

/** Bodies that are our own webapp (the bundle, the host page), where stack-like text is code, not a leak. */
function isAsset(a: Answer): boolean {
  return a.status < 400 && /javascript|text\/html|text\/css|image\/|font\/|octet-stream/.test(a.type);
}

export interface HttpFuzzOptions {
  count: number;
  concurrency: number;
  timeoutMs: number;
}

/** Sends `count` hostile requests, round-robin over the routes (so each gets its share), and checks the answers. */
export async function runHttpFuzz(
  rng: Rng,
  t: HttpFuzzTarget,
  o: HttpFuzzOptions,
  findings: Findings,
  stats: HttpFuzzStats,
): Promise<void> {
  const agent = new http.Agent({keepAlive: true, maxSockets: o.concurrency});
  const routes = [...t.routes];
  for (let i = routes.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [routes[i], routes[j]] = [routes[j], routes[i]];
  }
  const ctx: ValueContext = {ids: [...t.ids.channels, ...t.ids.users, ...t.ids.posts]};
  // Each request is planned from the one stream, in order, just before it is sent (so the host controls
  // can name sessions that joined meanwhile); the seed decides everything but those ids.
  let planned = 0;
  // Routes that answered 2xx without any login, and writes that succeeded on a cookie without the CSRF header.
  const publicRoutes = new Set<string>();
  const cookieWrites: {key: string; input: string; status: number}[] = [];
  const worker = async () => {
    while (planned < o.count) {
      const p = plan(rng, routes[planned % routes.length], t, ctx);
      planned++;
      const key = `${p.route.method} ${p.route.url}`;
      stats.requests++;
      stats.byRoute.add(key);
      stats.byAuth.add(p.auth);
      const input = `${p.method} ${p.path} [${p.auth}] ${p.body === undefined ? '' : shorten(String(p.body), 200)}`;
      let a: Answer;
      try {
        a = await send(agent, t.baseURL, p, o.timeoutMs);
      } catch (err) {
        const msg = (err as Error).message;
        // The server may close a connection on a request it refuses at the parser (bad method, huge header).
        if (/no answer within/.test(msg)) findings.add(`http ${key}`, msg, input);
        else {
          const code = `error:${(err as NodeJS.ErrnoException).code ?? msg.slice(0, 30)}`;
          stats.byStatus.add(code);
          if (!stats.errorSamples.has(code)) stats.errorSamples.set(code, input.slice(0, 300));
        }
        continue;
      }
      stats.byStatus.add(String(a.status));
      if (a.status < 300 && p.auth === 'none') publicRoutes.add(key);
      if (a.status < 300 && p.auth === 'cookieNoCsrf' && p.method !== 'GET' && p.method !== 'HEAD')
        cookieWrites.push({key, input, status: a.status});
      if (a.status >= 500) findings.add(`http ${key}`, `answered ${a.status}: ${shorten(a.body, 200)}`, input);
      if (!isAsset(a)) {
        const leak = findLeak(a.body);
        if (leak) findings.add(`http ${key}`, `body leaks internals: ${leak}`, input);
      }
      // A login token that was just logged out: get the user a new one.
      if (a.status === 200 && p.route.url.endsWith('/users/logout') && p.method === 'POST') {
        const token =
          p.headers.Authorization?.replace(/^Bearer /, '') ??
          p.headers.Cookie?.replace(/^MMAUTHTOKEN=/, '').split(';')[0];
        const i = token ? t.userTokens.indexOf(token) : -1;
        if (i >= 0) t.userTokens[i] = (await t.relogin(token!)) ?? t.userTokens[i];
        else if (token === t.adminToken) t.adminToken = (await t.relogin(token)) ?? t.adminToken;
      }
    }
  };
  await Promise.all(Array.from({length: o.concurrency}, worker));
  agent.destroy();
  // A login cookie rides along on cross-site requests: a write needs the X-Requested-With header too.
  for (const w of cookieWrites) {
    if (!publicRoutes.has(w.key))
      findings.add(
        `http ${w.key}`,
        `a write authenticated by cookie alone (no X-Requested-With) answered ${w.status}`,
        w.input,
      );
  }
}

/** Requests no HTTP client library would send: lying Content-Length, broken chunking, smuggling, pipelining, huge headers. */
export async function runRawHttpAbuse(
  rng: Rng,
  baseURL: string,
  paths: readonly string[],
  count: number,
  findings: Findings,
  stats: HttpFuzzStats,
): Promise<void> {
  const {hostname, port} = new URL(baseURL);
  const body = '{"login_id":"x","password":"y"}';
  const requests = Array.from({length: count}, () => {
    const path = rng.pick(paths);
    return {
      path,
      req: rng.pick([
        `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length + 500}\r\n\r\n${body}`,
        `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n${body}\r\n0\r\n\r\n`,
        `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /api/v4/users/me HTTP/1.1\r\nHost: x\r\n\r\n`,
        `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\nGET ${path} HTTP/1.1\r\nHost: x\r\n\r\nGET ${path} HTTP/1.0\r\n\r\n`,
        `GET ${path} HTTP/1.1\r\nHost: x\r\nCookie: ${'a'.repeat(20_000)}\r\n\r\n`,
        `GET ${path} HTTP/1.1\r\n${Array.from({length: 3000}, (_, k) => `X-H${k}: v`).join('\r\n')}\r\n\r\n`,
        `GET ${path} HTTP/9.9\r\nHost: x\r\n\r\n`,
        `GET ${path}\r\n\r\n`,
        `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: -1\r\n\r\n${body}`,
        `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 99999999999999999999\r\n\r\n${body}`,
        `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nContent-Length: 3\r\n\r\n${body}`,
        `GET ${path} HTTP/1.1\r\nHost: x\r\nX-Bad: a\u0000b\r\n\r\n`,
        `\u0000\u0001\u0002 garbage\r\n\r\n`,
      ]),
    };
  });
  const one = async ({path, req}: {path: string; req: string}) => {
    stats.raw++;
    const answer = await new Promise<string>((resolve) => {
      const sock = net.connect(Number(port), hostname);
      let out = '';
      // A request that promised more body than it sent waits for it: give up after a moment.
      const timer = setTimeout(() => sock.destroy(), 1500);
      sock.on('data', (d) => (out += d.toString('latin1')));
      sock.on('error', () => undefined);
      sock.on('close', () => {
        clearTimeout(timer);
        resolve(out);
      });
      sock.on('connect', () => sock.write(req, 'latin1'));
    });
    for (const m of answer.matchAll(/HTTP\/1\.[01] (\d{3})/g)) {
      stats.byStatus.add(`raw:${m[1]}`);
      if (Number(m[1]) >= 500) findings.add(`raw http ${path}`, `answered ${m[1]}`, shorten(req, 200));
    }
    const leak = findLeak(answer);
    if (leak) findings.add(`raw http ${path}`, `answer leaks internals: ${leak}`, shorten(req, 200));
  };
  let next = 0;
  await Promise.all(
    Array.from({length: 8}, async () => {
      while (next < requests.length) await one(requests[next++]);
    }),
  );
}
