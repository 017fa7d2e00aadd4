// One site origin for browser tests beside a (fake) Mattermost, routed like the README's nginx rules: the plugin's
// API and websocket and the bundle's sounds and emoji go to the Calls service, the rest of /api and /static to
// Mattermost; the page itself (Mattermost's webapp) is our standalone host page from webapp/dist/standalone, which
// loads the plugins Mattermost lists. Loopback only.
import fs from 'node:fs';
import http, {type IncomingMessage} from 'node:http';
import net from 'node:net';
import path from 'node:path';
import type {Duplex} from 'node:stream';
import {closeNow, listenLoopback} from './http-server';

const HOST_PAGE_DIR = path.resolve(__dirname, '../../webapp/dist/standalone');
const TO_SERVICE = [
  '/plugins/com.mattermost.calls/',
  '/static/plugins/com.mattermost.calls/sounds/',
  '/static/plugins/com.mattermost.calls/emoji/',
];

export class MattermostSite {
  #server: http.Server | null = null;
  #port = 0;
  /** Base URLs (http://127.0.0.1:port) of the two upstreams; set before the first request. */
  service = '';
  mattermost = '';
  /** Paths of every websocket upgrade seen, with where it went. */
  readonly upgrades: {path: string; to: 'service' | 'mattermost'}[] = [];

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  async start(): Promise<void> {
    const server = http.createServer((req, res) => {
      const p = pathOf(req);
      const upstream = this.#upstream(p);
      if (upstream) {
        const target = new URL(upstream);
        const out = http.request(
          {host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers},
          (up) => {
            res.writeHead(up.statusCode ?? 502, up.headers);
            up.pipe(res);
          },
        );
        out.on('error', () => {
          if (!res.headersSent) res.writeHead(502);
          res.end();
        });
        req.pipe(out);
        return;
      }
      const file = p.startsWith('/static/standalone/')
        ? path.join(HOST_PAGE_DIR, path.normalize(p.slice('/static/standalone/'.length)).replace(/^(\.\.[/\\])+/, ''))
        : path.join(HOST_PAGE_DIR, 'index.html');
      if (!file.startsWith(HOST_PAGE_DIR) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
        res.writeHead(404);
        res.end();
        return;
      }
      const type = file.endsWith('.html') ? 'text/html' : file.endsWith('.js') ? 'text/javascript' : 'text/css';
      res.writeHead(200, {'Content-Type': type});
      fs.createReadStream(file).pipe(res);
    });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.#upgrade(req, socket, head));
    this.#port = await listenLoopback(server);
    this.#server = server;
  }

  async stop(): Promise<void> {
    const s = this.#server;
    this.#server = null;
    if (!s) return;
    await closeNow(s);
  }

  /** Where a path goes; null for the page itself. */
  #upstream(p: string): string | null {
    if (TO_SERVICE.some((prefix) => p.startsWith(prefix))) return this.service;
    if (p.startsWith('/api/') || p.startsWith('/static/plugins/')) return this.mattermost;
    return null;
  }

  /** A websocket: the raw upgrade request is replayed to the upstream and the two sockets joined. */
  #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const p = pathOf(req);
    const upstream = this.#upstream(p);
    if (!upstream) return void socket.destroy();
    this.upgrades.push({path: p, to: upstream === this.service ? 'service' : 'mattermost'});
    const target = new URL(upstream);
    const up = net.connect(Number(target.port), target.hostname, () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      up.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length) up.write(head);
      up.pipe(socket);
      socket.pipe(up);
    });
    const close = () => {
      up.destroy();
      socket.destroy();
    };
    up.on('error', close);
    up.on('close', close);
    socket.on('error', close);
    socket.on('close', close);
  }
}

function pathOf(req: IncomingMessage): string {
  return new URL(req.url ?? '/', 'http://x').pathname;
}
