// One authenticated websocket to one rtcd host, as the plugin holds it (reference §1.4, §4.1): the URL's
// path is replaced by /ws (http→ws, https→wss), Basic auth with the client id and key, the `hello`
// awaited before the connection counts as open, pings answered (by the ws library), frames decoded and
// checked. What to do with the messages is the owner's business.
import {isIP} from 'node:net';
import WebSocket from 'ws';
import {TypedEmitter} from '../../events';
import {decodeClientMessage, encodeClientMessage, WireError, type ClientMessage} from '../wire';

const SILENT_HOST_MS = 25_000;

export interface RtcdCredentials {
  clientID: string;
  authKey: string;
}

export interface RtcdConnectionEvents {
  message: [msg: ClientMessage];
  /** A frame the host sent that does not decode (logged by the owner; the connection stays). */
  invalid: [err: WireError];
  closed: [code: number, reason: string];
}

export interface RtcdConnectOptions {
  /** Connect to this address instead of the URL's host (one connection per resolved IP), keeping the Host header. */
  address?: string;
  timeoutMs?: number;
  /** The CAs a wss URL's certificate must chain to (default: Node's). */
  ca?: readonly string[];
}

export class RtcdConnection extends TypedEmitter<RtcdConnectionEvents> {
  readonly #ws: WebSocket;
  /** rtcd's id for this connection, from `hello`. */
  readonly connID: string;

  private constructor(ws: WebSocket, connID: string) {
    super();
    this.#ws = ws;
    this.connID = connID;
  }

  /** Opens the websocket and waits for `hello`; rejects on refusal (bad credentials answer without upgrading). */
  static connect(baseURL: string, creds: RtcdCredentials, opts: RtcdConnectOptions = {}): Promise<RtcdConnection> {
    const url = new URL(baseURL);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    url.pathname = '/ws';
    url.username = '';
    url.password = '';
    const headers: Record<string, string> = {
      authorization: `Basic ${Buffer.from(`${creds.clientID}:${creds.authKey}`).toString('base64')}`,
      'x-calls-rtcd-features': 'restart',
    };
    const target = opts.address ? new URL(url) : url;
    if (opts.address) {
      headers.host = url.host;
      target.hostname = opts.address;
    }
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(target, {
        headers,
        handshakeTimeout: opts.timeoutMs ?? 4000,
        maxPayload: 1024 * 1024,
        ...(opts.address && url.protocol === 'wss:' && !isIP(url.hostname) ? {servername: url.hostname} : {}),
        ...(opts.ca ? {ca: [...opts.ca]} : {}),
      } as WebSocket.ClientOptions);
      const timer = setTimeout(() => fail(new Error('rtcd: no hello within the timeout')), opts.timeoutMs ?? 4000);
      const fail = (err: Error) => {
        clearTimeout(timer);
        ws.removeAllListeners('message');
        ws.terminate();
        reject(err);
      };
      // The cause keeps Node's code, so a refused certificate can be told from a host that is down.
      ws.on('error', (err) => fail(new Error(`rtcd: ${err.message}`, {cause: err})));
      ws.on('unexpected-response', (_req, res) =>
        fail(new Error(`rtcd: connection refused (HTTP ${res.statusCode ?? 0})`)),
      );
      ws.once('message', (raw, isBinary) => {
        let msg: ClientMessage;
        try {
          if (!isBinary) throw new WireError('text frame');
          msg = decodeClientMessage(toBytes(raw));
        } catch (err) {
          return fail(new Error(`rtcd: bad first message: ${(err as Error).message}`));
        }
        if (msg.type !== 'hello') return fail(new Error(`rtcd: expected hello, got ${msg.type}`));
        clearTimeout(timer);
        ws.removeAllListeners('error');
        const conn = new RtcdConnection(ws, msg.data.connID);
        conn.#wire();
        resolve(conn);
      });
    });
  }

  get open(): boolean {
    return this.#ws.readyState === WebSocket.OPEN;
  }

  send(msg: ClientMessage): boolean {
    if (!this.open) return false;
    this.#ws.send(encodeClientMessage(msg), {binary: true});
    return true;
  }

  close(): void {
    this.#ws.close();
  }

  /** Drops the connection without a closing handshake (tests: a host that vanished). */
  terminate(): void {
    this.#ws.terminate();
  }

  #wire(): void {
    this.#ws.on('error', () => {});
    // rtcd pings every 10 s: a host that went silent (gone without closing its sockets) is dropped after
    // 25 s without one, so its calls can move instead of waiting for TCP to give up.
    let lastHeard = Date.now();
    this.#ws.on('ping', () => {
      lastHeard = Date.now();
    });
    const watchdog = setInterval(() => {
      if (Date.now() - lastHeard > SILENT_HOST_MS) this.#ws.terminate();
    }, 5000);
    watchdog.unref();
    this.#ws.on('message', (raw, isBinary) => {
      if (!isBinary) return;
      try {
        this.emit('message', decodeClientMessage(toBytes(raw)));
      } catch (err) {
        if (err instanceof WireError) this.emit('invalid', err);
        else throw err;
      }
    });
    this.#ws.on('message', () => {
      lastHeard = Date.now();
    });
    this.#ws.on('close', (code, reason) => {
      clearInterval(watchdog);
      this.emit('closed', code, reason.toString());
    });
  }
}

function toBytes(raw: WebSocket.RawData): Uint8Array {
  if (Array.isArray(raw)) return Buffer.concat(raw);
  if (raw instanceof ArrayBuffer) return new Uint8Array(raw);
  return raw;
}
