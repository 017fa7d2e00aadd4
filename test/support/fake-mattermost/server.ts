// A fake Mattermost for contract tests: the REST API v4 routes a service beside Mattermost uses, on
// 127.0.0.1:0, with realistic payloads and errors (401 for an unknown or revoked token, 403 for a missing
// permission, 404 for an unknown channel, 429 with Retry-After when told to, and "down" on demand).
// Written from Mattermost's REST API v4 documentation and @mattermost/types, NOT from our adapter.
import {randomBytes} from 'node:crypto';
import http, {type IncomingMessage, type ServerResponse} from 'node:http';
import type {Duplex} from 'node:stream';
import type {Command} from '@mattermost/types/integrations';
import type {Post} from '@mattermost/types/posts';
import {closeNow, listenLoopback} from '../http-server';
import {FAKE_SETTING, type FakeConfig, FakeData, mmId, newRecord} from './data';

export interface ReceivedRequest {
  method: string;
  path: string;
  /** The session's user, when the request was authenticated. */
  userID: string | null;
  body: unknown;
  /** The status answered (0 until answered). */
  status: number;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly id: string,
    message: string,
  ) {
    super(message);
  }
}

const unauthorized = () =>
  new HttpError(401, 'api.context.session_expired.app_error', 'Invalid or expired session, please login again.');
export const forbidden = () =>
  new HttpError(403, 'api.context.permissions.app_error', 'You do not have the appropriate permissions.');
export const notFound = (id: string, what: string) => new HttpError(404, id, `Unable to find the existing ${what}.`);
const badRequest = (id: string, message: string) => new HttpError(400, id, message);

// A 1×1 PNG: what /users/{id}/image answers.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

export type Handler = (
  req: IncomingMessage,
  m: RegExpMatchArray,
  ctx: Ctx,
) => Promise<[number, unknown]> | [number, unknown];
export interface Ctx {
  userID: string;
  body: unknown;
  raw: Buffer;
}

/** What Mattermost's own webapp needs beyond the API a service uses (fake-mattermost/webapp.ts). */
export interface FakeExtension {
  /** Answers a request outside the API routes (static files); true when it did. */
  request?(req: IncomingMessage, res: ServerResponse, url: URL): boolean;
  /** Takes a websocket upgrade; true when it did. */
  upgrade?(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** A post was created or edited through the API. */
  posted?(post: Post, edited: boolean): void;
  /** Mattermost stops: cut what the extension holds open. */
  stop?(): void;
}

export class FakeMattermost {
  readonly data = new FakeData();
  readonly extensions: FakeExtension[] = [];
  readonly received: ReceivedRequest[] = [];
  /** What custom slash commands' URLs answered (status and raw body), in order. */
  readonly commandResponses: {status: number; body: string}[] = [];
  #server: http.Server | null = null;
  #port = 0;
  #rateLimited = 0;
  #retryAfterSeconds = 1;
  #rateLimitedToken: string | null = null;
  readonly #routes: {method: string; re: RegExp; auth: boolean; handler: Handler}[] = [];

  constructor() {
    this.#registerRoutes();
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** Listens on 127.0.0.1 (the same port again after a stop). */
  async start(): Promise<void> {
    const server = http.createServer((req, res) => void this.#handle(req, res));
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (!this.extensions.some((x) => x.upgrade?.(req, socket, head))) socket.destroy();
    });
    this.#port = await listenLoopback(server, this.#port);
    this.#server = server;
  }

  /** Stops answering: every open connection is cut (Mattermost down). */
  async stop(): Promise<void> {
    const s = this.#server;
    this.#server = null;
    if (!s) return;
    for (const x of this.extensions) x.stop?.();
    await closeNow(s);
  }

  /**
   * The next `n` authenticated API requests get 429 with Retry-After (Mattermost's rate limiter); only those
   * made with `token` when given (the limiter varies by user with RateLimitSettings.VaryByUser).
   */
  rateLimitNext(n: number, retryAfterSeconds = 1, token?: string): void {
    this.#rateLimited = n;
    this.#retryAfterSeconds = retryAfterSeconds;
    this.#rateLimitedToken = token ?? null;
  }

  /** Revokes a session or access token (logout, session revoked in the System Console). */
  revoke(token: string): void {
    this.data.tokens.delete(token);
  }

  requestsTo(method: string, pathPrefix: string): ReceivedRequest[] {
    return this.received.filter((r) => r.method === method && r.path.startsWith(pathPrefix));
  }

  /** An API route more (under /api/v4), with the same authentication, errors and request log as the others. */
  addRoute(method: string, path: string, handler: Handler, auth = true): void {
    this.#route(method, path, handler, auth);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    if (this.extensions.some((x) => x.request?.(req, res, url))) return;
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    let body: unknown = null;
    if (raw.length && String(req.headers['content-type']).startsWith('application/json')) {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        return send(res, 400, appError(badRequest('api.context.invalid_body_param.app_error', 'Invalid JSON')));
      }
    }
    const route = this.#routes.find((r) => r.method === req.method && r.re.test(url.pathname));
    const userID = this.#sessionUser(req);
    const received: ReceivedRequest = {
      method: req.method ?? '',
      path: url.pathname + url.search,
      userID,
      body,
      status: 0,
    };
    this.received.push(received);
    res.on('finish', () => (received.status = res.statusCode));
    if (!route) return send(res, 404, appError(notFound('api.context.404.app_error', 'page')));
    const limited = this.#rateLimitedToken === null || this.#tokenOf(req) === this.#rateLimitedToken;
    if (route.auth && this.#rateLimited > 0 && limited) {
      this.#rateLimited--;
      res.writeHead(429, {
        'Content-Type': 'text/plain; charset=utf-8',
        'Retry-After': String(this.#retryAfterSeconds),
        'X-Ratelimit-Limit': '10',
        'X-Ratelimit-Remaining': '0',
        'X-Ratelimit-Reset': String(this.#retryAfterSeconds),
      });
      res.end('limit exceeded\n');
      return;
    }
    try {
      if (route.auth && !userID) throw unauthorized();
      const [status, out] = await route.handler(req, url.pathname.match(route.re)!, {userID: userID ?? '', body, raw});
      if (Buffer.isBuffer(out)) {
        const type = req.url?.includes('/image') ? 'image/png' : 'application/octet-stream';
        res.writeHead(status, {'Content-Type': type, 'Content-Length': out.length});
        res.end(out);
      } else if (status === 204) {
        res.writeHead(204);
        res.end();
      } else send(res, status, out);
    } catch (err) {
      if (err instanceof HttpError) send(res, err.status, appError(err));
      else send(res, 500, appError(new HttpError(500, 'app.internal', (err as Error).message)));
    }
  }

  #tokenOf(req: IncomingMessage): string | null {
    const m = /^(?:Bearer|Token)\s+(\S+)$/i.exec(String(req.headers.authorization ?? ''));
    return m ? m[1] : (/(?:^|;\s*)MMAUTHTOKEN=([^;]+)/.exec(String(req.headers.cookie ?? ''))?.[1] ?? null);
  }

  /** Token from Authorization (Bearer/Token) or the MMAUTHTOKEN cookie; cookie writes need the CSRF header. */
  #sessionUser(req: IncomingMessage): string | null {
    const m = /^(?:Bearer|Token)\s+(\S+)$/i.exec(String(req.headers.authorization ?? ''));
    if (m) return this.#live(m[1]);
    const cookie = /(?:^|;\s*)MMAUTHTOKEN=([^;]+)/.exec(String(req.headers.cookie ?? ''));
    if (!cookie) return null;
    if (req.method !== 'GET' && req.headers['x-csrf-token'] !== this.data.csrf.get(cookie[1])) {
      if (req.headers['x-requested-with'] !== 'XMLHttpRequest') return null;
    }
    return this.#live(cookie[1]);
  }

  #live(token: string): string | null {
    const id = this.data.tokens.get(token);
    const user = id ? this.data.users.get(id) : undefined;
    return user && user.delete_at === 0 ? user.id : null;
  }

  #route(method: string, path: string, handler: Handler, auth = true): void {
    this.#routes.push({method, re: new RegExp(`^/api/v4${path}$`), auth, handler});
  }

  #channel(id: string, userID: string) {
    const ch = this.data.channels.get(id);
    if (!ch) throw notFound('app.channel.get.existing.app_error', 'channel');
    if (!this.data.canRead(userID, ch)) throw forbidden();
    return ch;
  }

  #can(userID: string, channelID: string | undefined, perm: string): void {
    if (!this.data.permissions(userID, channelID).has(perm)) throw forbidden();
  }

  #registerRoutes(): void {
    const d = this.data;
    const ID = '([a-z0-9]{26})';
    this.#route('GET', '/system/ping', () => [200, {status: 'OK'}], false);
    this.#route('GET', '/users/me', (_r, _m, c) => [200, d.users.get(c.userID)]);
    this.#route('GET', `/users/${ID}`, (_r, m) => {
      const u = d.users.get(m[1]);
      if (!u) throw notFound('app.user.missing_account.const', 'user');
      return [200, u];
    });
    this.#route('POST', '/users/ids', (_r, _m, c) => {
      if (!Array.isArray(c.body)) throw badRequest('api.context.invalid_body_param.app_error', 'Invalid user_ids');
      return [200, (c.body as string[]).map((id) => d.users.get(id)).filter(Boolean)];
    });
    this.#route('GET', `/users/${ID}/image`, (_r, m) => {
      if (!d.users.has(m[1])) throw notFound('app.user.missing_account.const', 'user');
      return [200, PNG];
    });
    this.#route('GET', `/teams/${ID}`, (_r, m, c) => {
      const t = d.teams.get(m[1]);
      if (!t) throw notFound('app.team.get.find.app_error', 'team');
      if (!d.teamMember(t.id, c.userID)) this.#can(c.userID, undefined, 'manage_system');
      return [200, t];
    });
    this.#route('GET', `/teams/${ID}/members/${ID}`, (_r, m, c) => {
      if (!d.teamMember(m[1], c.userID)) this.#can(c.userID, undefined, 'manage_system');
      const tm = d.teamMember(m[1], m[2]);
      if (!tm) throw notFound('app.team.get_member.missing.app_error', 'team member');
      return [200, tm];
    });
    this.#route('GET', `/channels/${ID}`, (_r, m, c) => [200, this.#channel(m[1], c.userID)]);
    this.#route('GET', `/channels/${ID}/members`, (r, m, c) => {
      this.#channel(m[1], c.userID);
      const q = new URL(r.url ?? '', 'http://x').searchParams;
      const page = Number(q.get('page') ?? 0);
      const perPage = Math.min(Number(q.get('per_page') ?? 60), 200);
      const all = [...d.channelMembers.values()].filter((cm) => cm.channel_id === m[1]);
      return [200, all.slice(page * perPage, (page + 1) * perPage)];
    });
    this.#route('GET', `/channels/${ID}/members/${ID}`, (_r, m, c) => {
      this.#channel(m[1], c.userID);
      const cm = d.channelMember(m[1], m[2]);
      if (!cm) throw notFound('app.channel.get_member.missing.app_error', 'channel member');
      return [200, cm];
    });
    this.#route('POST', '/channels/direct', (_r, _m, c) => {
      const ids = c.body as string[];
      if (!Array.isArray(ids) || ids.length !== 2 || ids.some((id) => !d.users.has(id)))
        throw badRequest('api.context.invalid_body_param.app_error', 'Invalid user_ids');
      if (!ids.includes(c.userID)) this.#can(c.userID, undefined, 'manage_system');
      const name = [...ids].sort().join('__');
      const existing = [...d.channels.values()].find((ch) => ch.name === name);
      if (existing) return [201, existing];
      const ch = d.addChannel('', 'D', name, c.userID);
      for (const id of new Set(ids)) d.addChannelMember(ch.id, id);
      return [201, ch];
    });
    this.#route('POST', '/roles/names', (_r, _m, c) => {
      const names = Array.isArray(c.body) ? (c.body as string[]) : [];
      return [200, names.map((n) => d.roles.get(n)).filter(Boolean)];
    });
    this.#route('GET', '/license/client', (r) => {
      // "format: Must be old, other formats not implemented yet" (the API documentation).
      if (new URL(r.url ?? '', 'http://x').searchParams.get('format') !== 'old')
        throw badRequest(
          'api.license.client.old_format.app_error',
          'New format for the client license is not supported yet.',
        );
      return [200, {IsLicensed: 'true', SkuShortName: 'enterprise'}];
    });
    this.#route('POST', '/posts', (_r, _m, c) => {
      const b = (c.body ?? {}) as Partial<Post>;
      if (!b.channel_id) throw badRequest('api.context.invalid_body_param.app_error', 'Invalid channel_id');
      const ch = d.channels.get(b.channel_id);
      if (!ch) throw notFound('app.channel.get.existing.app_error', 'channel');
      this.#can(c.userID, ch.id, 'create_post');
      if (ch.delete_at > 0)
        throw badRequest('api.post.create_post.can_not_post_to_deleted.error', 'Can not post to deleted channel.');
      // Clients may create only plain posts and custom_* types (model.Post.IsValid).
      if (b.type && !String(b.type).startsWith('custom_'))
        throw badRequest('model.post.is_valid.type.app_error', 'Invalid type.');
      const now = Date.now();
      // The author is always the session's user: a body's user_id is ignored (api4/post.go).
      const post = {
        ...newRecord(now),
        edit_at: 0,
        delete_at: 0,
        is_pinned: false,
        user_id: c.userID,
        channel_id: ch.id,
        root_id: b.root_id ?? '',
        original_id: '',
        message: b.message ?? '',
        type: b.type ?? '',
        props: b.props ?? {},
        hashtags: '',
        pending_post_id: '',
        reply_count: 0,
        file_ids: b.file_ids ?? [],
        metadata: {} as Post['metadata'],
      } as Post;
      if (post.root_id && !d.posts.has(post.root_id))
        throw badRequest('api.post.create_post.root_id.app_error', 'Invalid RootId parameter.');
      for (const fid of post.file_ids ?? []) {
        const f = d.files.get(fid);
        if (f) f.post_id = post.id;
      }
      d.posts.set(post.id, post);
      ch.last_post_at = now;
      for (const x of this.extensions) x.posted?.(post, false);
      return [201, post];
    });
    this.#route('GET', `/posts/${ID}`, (_r, m, c) => {
      const p = d.posts.get(m[1]);
      if (!p || p.delete_at > 0) throw notFound('app.post.get.app_error', 'post');
      this.#channel(p.channel_id, c.userID);
      return [200, p];
    });
    const edit = (id: string, c: Ctx, patch: Partial<Post>): [number, Post] => {
      const p = d.posts.get(id);
      if (!p || p.delete_at > 0) throw notFound('app.post.get.app_error', 'post');
      this.#can(c.userID, p.channel_id, p.user_id === c.userID ? 'edit_post' : 'edit_others_posts');
      const now = Date.now();
      if (patch.message !== undefined) p.message = patch.message;
      if (patch.props !== undefined) p.props = patch.props;
      if (patch.is_pinned !== undefined) p.is_pinned = patch.is_pinned;
      p.update_at = now;
      p.edit_at = now;
      for (const x of this.extensions) x.posted?.(p, true);
      return [200, p];
    };
    this.#route('PUT', `/posts/${ID}/patch`, (_r, m, c) => edit(m[1], c, (c.body ?? {}) as Partial<Post>));
    this.#route('PUT', `/posts/${ID}`, (_r, m, c) => {
      const b = (c.body ?? {}) as Partial<Post>;
      if (b.id !== m[1]) throw badRequest('api.context.invalid_body_param.app_error', 'Invalid id');
      // PUT replaces the updatable fields: omitted ones become blank (the API documentation).
      return edit(m[1], c, {message: b.message ?? '', props: b.props ?? {}, is_pinned: b.is_pinned ?? false});
    });
    this.#route('POST', '/posts/ephemeral', (_r, _m, c) => {
      this.#can(c.userID, undefined, 'create_post_ephemeral');
      const b = (c.body ?? {}) as {user_id?: string; post?: Partial<Post>};
      if (!b.user_id || !b.post?.channel_id)
        throw badRequest('api.context.invalid_body_param.app_error', 'Invalid user_id or post');
      const now = Date.now();
      const post = {
        ...newRecord(now),
        user_id: c.userID,
        channel_id: b.post.channel_id,
        root_id: b.post.root_id ?? '',
        message: b.post.message ?? '',
        type: 'system_ephemeral',
        props: {},
      } as Post;
      d.ephemeral.push({user_id: b.user_id, post});
      return [201, post];
    });
    this.#route('POST', '/uploads', (_r, _m, c) => {
      const b = (c.body ?? {}) as {channel_id?: string; filename?: string; file_size?: number};
      if (!b.channel_id || !b.filename || !(Number(b.file_size) > 0))
        throw badRequest('api.context.invalid_body_param.app_error', 'Invalid upload');
      this.#channel(b.channel_id, c.userID);
      this.#can(c.userID, b.channel_id, 'upload_file');
      const us = {
        id: mmId(),
        type: 'attachment' as const,
        create_at: Date.now(),
        user_id: c.userID,
        channel_id: b.channel_id,
        filename: b.filename,
        path: '',
        file_size: Number(b.file_size),
        file_offset: 0,
        data: [] as Buffer[],
      };
      d.uploads.set(us.id, us);
      return [201, publicUpload(us)];
    });
    this.#route('GET', `/uploads/${ID}`, (_r, m, c) => {
      const us = d.uploads.get(m[1]);
      if (!us) throw notFound('app.upload.get.app_error', 'upload');
      if (us.user_id !== c.userID) throw forbidden();
      return [200, publicUpload(us)];
    });
    this.#route('POST', `/uploads/${ID}`, (_r, m, c) => {
      const us = d.uploads.get(m[1]);
      if (!us) throw notFound('app.upload.get.app_error', 'upload');
      if (us.user_id !== c.userID) throw forbidden();
      if (us.file_offset + c.raw.length > us.file_size)
        throw badRequest('app.upload.upload_data.too_large.app_error', 'Upload data is larger than expected.');
      us.data.push(c.raw);
      us.file_offset += c.raw.length;
      if (us.file_offset < us.file_size) return [204, null];
      const now = Date.now();
      const ext = us.filename.includes('.') ? us.filename.split('.').pop()! : '';
      const file = {
        id: mmId(),
        user_id: us.user_id,
        channel_id: us.channel_id,
        post_id: '',
        create_at: now,
        update_at: now,
        delete_at: 0,
        name: us.filename,
        extension: ext,
        size: us.file_size,
        mime_type: ext === 'mp4' ? 'video/mp4' : 'application/octet-stream',
        width: 0,
        height: 0,
        has_preview_image: false,
        clientId: '',
        archived: false,
        data: Buffer.concat(us.data),
      };
      d.files.set(file.id, file);
      d.uploads.delete(us.id);
      const {data: _bytes, ...info} = file;
      return [201, info];
    });
    this.#route('GET', `/files/${ID}`, (r, m, c) => {
      const f = d.files.get(m[1]);
      if (!f) throw notFound('app.file_info.get.app_error', 'file');
      this.#channel(f.channel_id, c.userID);
      const range = /^bytes=(\d+)-(\d+)$/.exec(String(r.headers.range ?? ''));
      return range ? [206, f.data.subarray(Number(range[1]), Number(range[2]) + 1)] : [200, f.data];
    });
    this.#route('GET', `/files/${ID}/info`, (_r, m, c) => {
      const f = d.files.get(m[1]);
      if (!f) throw notFound('app.file_info.get.app_error', 'file');
      this.#channel(f.channel_id, c.userID);
      const {data: _bytes, ...info} = f;
      return [200, info];
    });
    this.#registerTeamsConfigAndCommands();
  }

  /** The config as GET /config shows it: plugin settings marked secret in their manifest replaced by the fake value. */
  #sanitizedConfig(): FakeConfig {
    const cfg = structuredClone(this.data.config);
    for (const [id, values] of Object.entries(cfg.PluginSettings.Plugins)) {
      const secret = this.data.secretPluginKeys(id);
      for (const k of Object.keys(values))
        if (secret.has(k) && values[k] !== '' && values[k] != null) values[k] = FAKE_SETTING;
    }
    return cfg;
  }

  #canTeam(userID: string, teamID: string, perm: string): void {
    if (!this.data.teamPermissions(userID, teamID).has(perm)) throw forbidden();
  }

  #commandsEnabled(): void {
    if (!this.data.config.ServiceSettings.EnableCommands)
      throw new HttpError(501, 'api.command.disabled.app_error', 'Commands have been disabled by the system admin.');
  }

  /** A command the session may manage (404 otherwise, so a command's existence does not leak). */
  #managedCommand(id: string, userID: string): Command {
    const cmd = this.data.commands.get(id);
    if (!cmd || cmd.delete_at > 0 || !this.data.teamPermissions(userID, cmd.team_id).has('manage_slash_commands'))
      throw notFound('store.sql_command.get.missing.app_error', 'command');
    if (cmd.creator_id !== userID) this.#canTeam(userID, cmd.team_id, 'manage_others_slash_commands');
    return cmd;
  }

  #registerTeamsConfigAndCommands(): void {
    const d = this.data;
    const ID = '([a-z0-9]{26})';
    const query = (r: IncomingMessage) => new URL(r.url ?? '', 'http://x').searchParams;
    // GET /teams: every team for manage_system, the open ones otherwise (the API documentation).
    this.#route('GET', '/teams', (r, _m, c) => {
      const q = query(r);
      const page = Math.max(0, Number(q.get('page') ?? 0) || 0);
      const perPage = Math.min(Math.max(1, Number(q.get('per_page') ?? 60) || 60), 200);
      const admin = d.permissions(c.userID).has('manage_system');
      const all = [...d.teams.values()].filter((t) => t.delete_at === 0 && (admin || t.allow_open_invite));
      return [200, all.slice(page * perPage, (page + 1) * perPage)];
    });

    // ---- config (system admins only; secrets sanitized on the way out, kept when the fake value comes back)
    this.#route('GET', '/config', (_r, _m, c) => {
      this.#can(c.userID, undefined, 'manage_system');
      return [200, this.#sanitizedConfig()];
    });
    this.#route('PUT', '/config', (_r, _m, c) => {
      this.#can(c.userID, undefined, 'manage_system');
      const b = c.body as FakeConfig | null;
      if (!b || typeof b !== 'object' || typeof b.PluginSettings?.Plugins !== 'object' || !b.ServiceSettings)
        throw badRequest('api.config.update_config.invalid', 'Invalid config.');
      for (const [id, values] of Object.entries(b.PluginSettings.Plugins)) {
        const old = d.config.PluginSettings.Plugins[id] ?? {};
        for (const k of d.secretPluginKeys(id)) if (values[k] === FAKE_SETTING) values[k] = old[k];
      }
      d.config = structuredClone(b);
      return [200, this.#sanitizedConfig()];
    });

    // ---- custom slash commands
    this.#route('POST', '/commands', (_r, _m, c) => {
      const b = (c.body ?? {}) as Partial<Command>;
      if (!b.team_id || !d.teams.has(b.team_id))
        throw badRequest('model.command.is_valid.team_id.app_error', 'Invalid team ID.');
      this.#canTeam(c.userID, b.team_id, 'manage_slash_commands');
      this.#commandsEnabled();
      const trigger = String(b.trigger ?? '').toLowerCase();
      if (!trigger || trigger.startsWith('/') || /\s/.test(trigger) || trigger.length > 128)
        throw badRequest('model.command.is_valid.trigger.app_error', 'Invalid trigger.');
      if (!/^https?:\/\//.test(String(b.url ?? '')))
        throw badRequest('model.command.is_valid.url.app_error', 'Invalid URL.');
      if (b.method !== 'P' && b.method !== 'G')
        throw badRequest('model.command.is_valid.method.app_error', 'Invalid Method.');
      if ([...d.commands.values()].some((x) => x.team_id === b.team_id && x.delete_at === 0 && x.trigger === trigger))
        throw badRequest('api.command.duplicate_trigger.app_error', 'This trigger word is already in use.');
      const now = Date.now();
      const cmd: Command = {
        id: mmId(),
        token: mmId(),
        create_at: now,
        update_at: now,
        delete_at: 0,
        creator_id: c.userID,
        team_id: b.team_id,
        trigger,
        method: b.method,
        ...editableFields(b),
      };
      d.commands.set(cmd.id, cmd);
      return [201, cmd];
    });
    this.#route('GET', '/commands', (r, _m, c) => {
      const q = query(r);
      const teamID = q.get('team_id') ?? '';
      if (!d.teams.has(teamID))
        throw badRequest('api.context.invalid_url_param.app_error', 'Invalid or missing team_id parameter.');
      this.#canTeam(c.userID, teamID, 'view_team');
      this.#commandsEnabled();
      const live = [...d.commands.values()].filter((x) => x.team_id === teamID && x.delete_at === 0);
      if (q.get('custom_only') !== 'true') {
        // Without custom_only: what autocompletes, without the secrets (token, URL).
        return [200, live.filter((x) => x.auto_complete).map((x) => ({...x, token: '', url: '', method: ''}))];
      }
      this.#canTeam(c.userID, teamID, 'manage_slash_commands');
      const others = d.teamPermissions(c.userID, teamID).has('manage_others_slash_commands');
      return [200, live.filter((x) => others || x.creator_id === c.userID)];
    });
    this.#route('GET', `/commands/${ID}`, (_r, m, c) => [200, this.#managedCommand(m[1], c.userID)]);
    this.#route('PUT', `/commands/${ID}`, (_r, m, c) => {
      this.#commandsEnabled();
      const cmd = this.#managedCommand(m[1], c.userID);
      const b = (c.body ?? {}) as Partial<Command>;
      if (b.id !== cmd.id) throw badRequest('api.command.update_command.invalid', 'Invalid id.');
      if (b.team_id !== undefined && b.team_id !== cmd.team_id)
        throw badRequest('api.command.team_mismatch.app_error', 'Unable to update commands across teams.');
      if (!/^https?:\/\//.test(String(b.url ?? '')))
        throw badRequest('model.command.is_valid.url.app_error', 'Invalid URL.');
      // UpdateCommand keeps the id, token, creator, team and dates; the rest is replaced (app/command.go).
      Object.assign(cmd, {
        trigger: String(b.trigger ?? '').toLowerCase(),
        method: b.method === 'G' ? 'G' : 'P',
        ...editableFields(b),
        update_at: Date.now(),
      });
      return [200, cmd];
    });
    this.#route('DELETE', `/commands/${ID}`, (_r, m, c) => {
      this.#managedCommand(m[1], c.userID).delete_at = Date.now();
      return [200, {status: 'OK'}];
    });
    this.#route('PUT', `/commands/${ID}/regen_token`, (_r, m, c) => {
      const cmd = this.#managedCommand(m[1], c.userID);
      cmd.token = mmId();
      return [200, {token: cmd.token}];
    });
    // POST /commands/execute: what the webapp sends; for a custom command Mattermost POSTs the form to its URL
    // (app/command.go tryExecuteCustomCommand/DoCommandRequest) and posts the response as the user's ephemeral.
    this.#route('POST', '/commands/execute', async (_r, _m, c) => {
      const b = (c.body ?? {}) as {command?: string; channel_id?: string; team_id?: string; root_id?: string};
      const command = String(b.command ?? '');
      if (command.length <= 1 || !command.startsWith('/'))
        throw badRequest('api.command.execute_command.start.app_error', 'No command trigger found.');
      const ch = this.#channel(String(b.channel_id ?? ''), c.userID);
      this.#can(c.userID, ch.id, 'use_slash_commands');
      const teamID = ch.team_id || String(b.team_id ?? '');
      const parts = command.split(' ');
      const trigger = parts[0].slice(1).toLowerCase();
      const text = parts.slice(1).join(' ');
      const cmd = [...d.commands.values()].find(
        (x) => x.team_id === teamID && x.delete_at === 0 && x.trigger === trigger,
      );
      if (!cmd) throw notFound('api.command.execute_command.not_found.app_error', 'command');
      this.#commandsEnabled();
      const user = d.users.get(c.userID)!;
      const form = new URLSearchParams({
        token: cmd.token,
        team_id: cmd.team_id,
        team_domain: d.teams.get(cmd.team_id)?.name ?? '',
        channel_id: ch.id,
        channel_name: ch.name,
        user_id: c.userID,
        user_name: user.username,
        command: '/' + trigger,
        text,
        trigger_id: mmId(),
        response_url: `${this.url}/hooks/commands/${mmId()}`,
      });
      let res: Response;
      try {
        res = await fetch(cmd.url, {
          method: 'POST',
          headers: {
            Accept: 'application/json',
            Authorization: `Token ${cmd.token}`,
            'Content-Type': 'application/x-www-form-urlencoded',
          },
          body: form.toString(),
          signal: AbortSignal.timeout(30_000),
        });
      } catch {
        throw new HttpError(
          500,
          'api.command.execute_command.failed.app_error',
          `Command with a trigger of '${trigger}' failed.`,
        );
      }
      const bodyText = await res.text();
      this.commandResponses.push({status: res.status, body: bodyText});
      if (res.status !== 200)
        throw new HttpError(
          500,
          'api.command.execute_command.failed_resp.app_error',
          `Command with a trigger of '${trigger}' returned response ${res.status}.`,
        );
      let response: {response_type?: string; text?: string};
      try {
        response = String(res.headers.get('content-type')).startsWith('application/json')
          ? (JSON.parse(bodyText) as typeof response)
          : {text: bodyText};
      } catch {
        throw new HttpError(
          500,
          'api.command.execute_command.failed.app_error',
          `Command with a trigger of '${trigger}' failed.`,
        );
      }
      if (response.text) {
        const now = Date.now();
        const post = {
          ...newRecord(now),
          user_id: c.userID,
          channel_id: ch.id,
          root_id: b.root_id ?? '',
          message: response.text,
          type: response.response_type === 'in_channel' ? '' : 'system_ephemeral',
          props: {from_webhook: 'true'},
        } as unknown as Post;
        if (response.response_type === 'in_channel') d.posts.set(post.id, post);
        else d.ephemeral.push({user_id: c.userID, post});
      }
      return [200, response];
    });
  }
}

function publicUpload<T extends {data: Buffer[]}>(us: T): Omit<T, 'data'> {
  const {data: _bytes, ...rest} = us;
  return rest;
}

/** Mattermost's AppError body. */
function appError(e: HttpError) {
  return {
    id: e.id,
    message: e.message,
    detailed_error: '',
    request_id: randomBytes(13).toString('hex').slice(0, 26),
    status_code: e.status,
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text)});
  res.end(text);
}

/** The command fields a create or an update takes from the request as they are (app/command.go). */
function editableFields(b: Partial<Command>) {
  return {
    username: b.username ?? '',
    icon_url: b.icon_url ?? '',
    auto_complete: Boolean(b.auto_complete),
    auto_complete_desc: b.auto_complete_desc ?? '',
    auto_complete_hint: b.auto_complete_hint ?? '',
    display_name: b.display_name ?? '',
    description: b.description ?? '',
    url: String(b.url),
  };
}
