// What Mattermost's own webapp asks of its server, added to the fake Mattermost for browser tests: the directory
// routes the page loads (teams, channels, memberships, posts, client config), the installed plugins' webapp bundles
// (GET /api/v4/plugins/webapp and /static/plugins/{id}/{id}_{hash}_bundle.js) and the main websocket at
// /api/v4/websocket (hello, replies, `posted`/`post_edited` to channel members). Written from Mattermost's REST API v4
// and websocket documentation; it carries no calls events, as a real Mattermost's would not for a plugin without a
// server half.
import {createHash} from 'node:crypto';
import fs from 'node:fs';
import type {IncomingMessage} from 'node:http';
import path from 'node:path';
import type {Post} from '@mattermost/types/posts';
import {WebSocketServer, type WebSocket} from 'ws';
import {mmId} from './data';
import {type FakeMattermost, forbidden, notFound} from './server';

interface InstalledPlugin {
  id: string;
  version: string;
  /** The URL path Mattermost serves the bundle at. */
  bundlePath: string;
  bundleFile: string;
}

interface MainSocket {
  ws: WebSocket;
  userID: string;
  seq: number;
}

export class FakeMattermostWebapp {
  readonly #mm: FakeMattermost;
  readonly #plugins: InstalledPlugin[] = [];
  readonly #wss = new WebSocketServer({noServer: true, maxPayload: 64 * 1024});
  readonly #sockets = new Set<MainSocket>();
  /** Every /api/v4/websocket connection made (user ids), for assertions. */
  readonly mainSocketUsers: string[] = [];

  constructor(mm: FakeMattermost) {
    this.#mm = mm;
    this.#registerRoutes();
    mm.extensions.push({
      request: (req, res, url) => {
        const plugin = this.#plugins.find((p) => p.bundlePath === url.pathname);
        if (!plugin || req.method !== 'GET') return false;
        const body = fs.readFileSync(plugin.bundleFile);
        res.writeHead(200, {'Content-Type': 'text/javascript', 'Content-Length': body.length});
        res.end(body);
        return true;
      },
      upgrade: (req, socket, head) => {
        if (new URL(req.url ?? '/', 'http://x').pathname !== '/api/v4/websocket') return false;
        const userID = this.#cookieUser(req);
        // Mattermost also takes an authentication_challenge; the webapp logs in by cookie.
        if (!userID) return false;
        this.#wss.handleUpgrade(req, socket, head, (ws) => this.#onSocket(ws, userID));
        return true;
      },
      posted: (post, edited) => this.#broadcastPost(post, edited),
      stop: () => {
        for (const s of this.#sockets) s.ws.terminate();
        this.#sockets.clear();
      },
    });
  }

  /**
   * Installs an unpacked plugin (the folder holding plugin.json), as System Console › Plugins › Upload does: its
   * webapp bundle is then listed by GET /api/v4/plugins/webapp and served under /static/plugins/{id}/.
   */
  installPlugin(dir: string): InstalledPlugin {
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'plugin.json'), 'utf8')) as {
      id: string;
      version: string;
      webapp?: {bundle_path?: string};
    };
    if (!manifest.webapp?.bundle_path) throw new Error(`${manifest.id}: the manifest has no webapp bundle`);
    const bundleFile = path.join(dir, manifest.webapp.bundle_path);
    const hash = createHash('md5').update(fs.readFileSync(bundleFile)).digest('hex');
    const plugin = {
      id: manifest.id,
      version: manifest.version,
      bundlePath: `/static/plugins/${manifest.id}/${manifest.id}_${hash}_bundle.js`,
      bundleFile,
    };
    this.#plugins.push(plugin);
    return plugin;
  }

  #cookieUser(req: IncomingMessage): string | null {
    const token = /(?:^|;\s*)MMAUTHTOKEN=([^;]+)/.exec(String(req.headers.cookie ?? ''))?.[1];
    const id = token ? this.#mm.data.tokens.get(token) : undefined;
    const user = id ? this.#mm.data.users.get(id) : undefined;
    return user && user.delete_at === 0 ? user.id : null;
  }

  #onSocket(ws: WebSocket, userID: string): void {
    const s: MainSocket = {ws, userID, seq: 0};
    this.#sockets.add(s);
    this.mainSocketUsers.push(userID);
    ws.on('close', () => this.#sockets.delete(s));
    ws.on('message', (raw, isBinary) => {
      if (isBinary) return;
      let msg: {seq?: unknown};
      try {
        msg = JSON.parse(String(raw));
      } catch {
        return;
      }
      // Every action with a seq gets a reply (ping, user_typing, …).
      if (typeof msg.seq === 'number') ws.send(JSON.stringify({status: 'OK', seq_reply: msg.seq}));
    });
    this.#send(s, 'hello', {connection_id: mmId(), server_version: '11.0.0.fake'}, {user_id: userID});
  }

  #send(s: MainSocket, event: string, data: unknown, broadcast: Record<string, unknown>): void {
    s.ws.send(
      JSON.stringify({
        event,
        data,
        broadcast: {omit_users: null, user_id: '', channel_id: '', team_id: '', ...broadcast},
        seq: s.seq++,
      }),
    );
  }

  #broadcastPost(post: Post, edited: boolean): void {
    const d = this.#mm.data;
    const ch = d.channels.get(post.channel_id);
    if (!ch) return;
    for (const s of this.#sockets) {
      if (!d.channelMember(ch.id, s.userID)) continue;
      // The post travels as a JSON string inside the event's data (model.WebSocketEvent).
      const data = edited
        ? {post: JSON.stringify(post)}
        : {channel_type: ch.type, channel_name: ch.name, post: JSON.stringify(post), team_id: ch.team_id};
      this.#send(s, edited ? 'post_edited' : 'posted', data, {channel_id: ch.id});
    }
  }

  #registerRoutes(): void {
    const mm = this.#mm;
    const d = mm.data;
    const ID = '([a-z0-9]{26})';
    const myTeamIDs = (userID: string) =>
      [...d.teams.values()].filter((t) => t.delete_at === 0 && d.teamMember(t.id, userID)).map((t) => t.id);
    const myTeam = (teamID: string, userID: string) => {
      if (!d.teams.has(teamID)) throw notFound('app.team.get.find.app_error', 'team');
      if (!myTeamIDs(userID).includes(teamID)) throw forbidden();
    };
    /** The user's channels of the team, with their direct and group messages (which belong to no team). */
    const myChannels = (teamID: string, userID: string) =>
      [...d.channels.values()].filter(
        (c) => c.delete_at === 0 && (c.team_id === teamID || c.team_id === '') && d.channelMember(c.id, userID),
      );

    mm.addRoute('GET', '/users', (r) => {
      const q = new URL(r.url ?? '', 'http://x').searchParams;
      const perPage = Math.min(Number(q.get('per_page') ?? 60) || 60, 200);
      const page = Number(q.get('page') ?? 0) || 0;
      const all = [...d.users.values()].filter((u) => u.delete_at === 0);
      return [200, all.slice(page * perPage, (page + 1) * perPage).map(({password: _p, ...u}) => u)];
    });
    mm.addRoute('GET', '/users/me/teams', (_r, _m, c) => [200, myTeamIDs(c.userID).map((id) => d.teams.get(id))]);
    mm.addRoute('GET', `/users/me/teams/${ID}/channels`, (_r, m, c) => {
      myTeam(m[1], c.userID);
      return [200, myChannels(m[1], c.userID)];
    });
    mm.addRoute('GET', `/users/me/teams/${ID}/channels/members`, (_r, m, c) => {
      myTeam(m[1], c.userID);
      return [200, myChannels(m[1], c.userID).map((ch) => d.channelMember(ch.id, c.userID))];
    });
    mm.addRoute('GET', `/channels/${ID}/posts`, (_r, m, c) => {
      const ch = d.channels.get(m[1]);
      if (!ch) throw notFound('app.channel.get.existing.app_error', 'channel');
      if (!d.canRead(c.userID, ch)) throw forbidden();
      const posts = [...d.posts.values()]
        .filter((p) => p.channel_id === ch.id && p.delete_at === 0)
        .sort((a, b) => b.create_at - a.create_at);
      return [
        200,
        {
          order: posts.map((p) => p.id),
          posts: Object.fromEntries(posts.map((p) => [p.id, p])),
          next_post_id: '',
          prev_post_id: '',
        },
      ];
    });
    mm.addRoute(
      'GET',
      '/config/client',
      () => [
        200,
        {
          SiteURL: '',
          Version: '11.0.0',
          BuildNumber: '11.0.0',
          SiteName: 'Mattermost',
          EnableTesting: 'false',
          EnableDeveloper: 'false',
          DiagnosticId: '',
        },
      ],
      false,
    );
    mm.addRoute('GET', '/plugins/webapp', () => [
      200,
      this.#plugins.map((p) => ({id: p.id, version: p.version, webapp: {bundle_path: p.bundlePath}})),
    ]);
  }
}
