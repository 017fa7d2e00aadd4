// The rtcd hosts behind one service URL, as the plugin sees them (reference §4.1–4.3): the URL's name
// resolved to every IPv4 address and re-resolved every 10 s; one authenticated connection per address,
// opened after a version check, registering the client first when the host does not know it (a host
// that lost its store), reconnecting with a growing wait; addresses gone from DNS are flagged and get
// no new calls; a new call goes to the available host with the lowest cpu_load.
import type {Logger} from '../../log';
import type {ClientMessage} from '../wire';
import {RtcdConnection, type RtcdCredentials} from './connection';
import {certificateProblem, UNTRUSTED_HINT} from '../../service-kit/tls-trust';
import {rtcdRequest, versionAtLeast} from './http';

export const MIN_RTCD_VERSION = 'v0.17.0';

export interface RtcdHostsOptions {
  /** The service URL without credentials (http://name:port). */
  serviceURL: string;
  /** The CAs an https service URL's certificates must chain to (default: Node's). */
  ca?: string[];
  credentials: RtcdCredentials;
  logger: Logger;
  /** IPv4 addresses of a name (tests point this at a DNS server on loopback). */
  resolve4: (hostname: string) => Promise<string[]>;
  onMessage: (ip: string, msg: ClientMessage) => void;
  /** A host's connection opened (again): sessions routed there may need `reconnect`. */
  onConnected?: (ip: string) => void;
  /** A host stopped being available for its calls: its connection closed, or its address left DNS. */
  onUnavailable?: (ip: string) => void;
  recheckMs?: number;
  /** New addresses wait a random 0…jitterMs before their first connection (upstream 5 s). */
  jitterMs?: number;
  /** First reconnect wait; each attempt adds it again, up to 30 s. */
  reconnectBaseMs?: number;
  minVersion?: string;
}

const MAX_RECONNECT_WAIT_MS = 30_000;
/** How long a new call waits for a host while none is connected (under the webapp's 15 s join timeout). */
const NEW_CALL_WAIT_MS = 5_000;

class RtcdHost {
  flagged = false;
  conn: RtcdConnection | null = null;
  rejected = false;
  #attempts = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #versionChecked = false;

  constructor(
    readonly ip: string,
    private readonly o: RtcdHostsOptions,
    private readonly log: Logger,
  ) {}

  get available(): boolean {
    return !this.flagged && !this.rejected && (this.conn?.open ?? false);
  }

  start(delayMs: number): void {
    this.#timer = setTimeout(() => void this.#connect(), delayMs);
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.conn?.close();
    this.conn = null;
  }

  async #connect(): Promise<void> {
    if (this.#closed) return;
    try {
      // Once per host, even when it was unreachable at first.
      if (!this.#versionChecked) {
        if (!(await this.#versionOK())) {
          this.rejected = true;
          return;
        }
        this.#versionChecked = true;
      }
      const conn = await this.#open();
      if (this.#closed) return conn.close();
      this.#attempts = 0;
      this.conn = conn;
      conn.on('message', (m) => this.o.onMessage(this.ip, m));
      conn.on('invalid', (err) =>
        this.log.warn({ip: this.ip, err: err.message}, 'rtcd sent a message that does not decode'),
      );
      conn.on('closed', () => {
        if (this.conn === conn) this.conn = null;
        // Closing our own side (shutdown) is not the host becoming unavailable.
        if (this.#closed) return;
        this.o.onUnavailable?.(this.ip);
        this.#retry();
      });
      this.log.info({ip: this.ip, connID: conn.connID}, 'rtcd host connected');
      this.o.onConnected?.(this.ip);
    } catch (err) {
      const refused = certificateProblem(err);
      if (refused) {
        // Kept trying (the certificate may be fixed), but never used: its calls go to hosts we trust.
        this.log.error(
          {ip: this.ip, url: this.o.serviceURL, code: refused, err: (err as Error).message, hint: UNTRUSTED_HINT},
          'rtcd host certificate not trusted: connection refused',
        );
      } else {
        this.log.warn({ip: this.ip, err: (err as Error).message, attempt: this.#attempts}, 'rtcd host not reachable');
      }
      this.#retry();
    }
  }

  /** Connects; a refusal is answered by registering (the host may have lost its store) and one more try. */
  async #open(): Promise<RtcdConnection> {
    try {
      return await RtcdConnection.connect(this.o.serviceURL, this.o.credentials, {address: this.ip, ca: this.o.ca});
    } catch (err) {
      if (!/HTTP 401/.test((err as Error).message)) throw err;
      const res = await rtcdRequest(this.o.serviceURL, this.ip, 'POST', '/register', {
        credentials: this.o.credentials,
        ca: this.o.ca,
        body: {clientID: this.o.credentials.clientID, authKey: this.o.credentials.authKey},
      });
      if (res.status !== 201) throw new Error(`rtcd registration refused (HTTP ${res.status})`);
      this.log.info({ip: this.ip, clientID: this.o.credentials.clientID}, 'registered with the rtcd host');
      return RtcdConnection.connect(this.o.serviceURL, this.o.credentials, {address: this.ip, ca: this.o.ca});
    }
  }

  async #versionOK(): Promise<boolean> {
    const res = await rtcdRequest(this.o.serviceURL, this.ip, 'GET', '/version', {ca: this.o.ca});
    let version = '';
    try {
      version = String((JSON.parse(res.body) as {buildVersion?: unknown}).buildVersion ?? '');
    } catch {
      throw new Error('rtcd /version did not answer JSON');
    }
    const min = this.o.minVersion ?? MIN_RTCD_VERSION;
    if (versionAtLeast(version, min)) return true;
    this.log.error({ip: this.ip, version, min}, 'rtcd host too old: not used');
    return false;
  }

  #retry(): void {
    if (this.#closed) return;
    this.#attempts++;
    const base = this.o.reconnectBaseMs ?? 2000;
    this.#timer = setTimeout(() => void this.#connect(), Math.min(MAX_RECONNECT_WAIT_MS, base * this.#attempts));
  }
}

export class RtcdHosts {
  readonly #o: RtcdHostsOptions;
  readonly #log: Logger;
  readonly #hosts = new Map<string, RtcdHost>();
  readonly #hostname: string;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  readonly #connectWaiters = new Set<() => void>();

  constructor(o: RtcdHostsOptions) {
    // Hosts report their connections here first, so new calls waiting for a host learn of it.
    this.#o = {
      ...o,
      onConnected: (ip) => {
        for (const w of [...this.#connectWaiters]) w();
        o.onConnected?.(ip);
      },
    };
    this.#log = o.logger.child({module: 'rtcd-hosts'});
    this.#hostname = new URL(o.serviceURL).hostname;
  }

  /** Resolves the name once and starts connecting; re-resolves every recheckMs after that. */
  async start(): Promise<void> {
    await this.#recheck(true);
    const tick = () => {
      this.#timer = setTimeout(
        () => void this.#recheck(false).finally(() => !this.#closed && tick()),
        this.#o.recheckMs ?? 10_000,
      );
    };
    tick();
  }

  /** Known addresses (flagged ones included). */
  ips(): string[] {
    return [...this.#hosts.keys()];
  }

  isAvailable(ip: string): boolean {
    return this.#hosts.get(ip)?.available ?? false;
  }

  /**
   * The available host with the lowest cpu_load (random when none answers /system); null when none is
   * available. While connections are still opening (the node just started, or every host is reconnecting) it
   * waits up to `waitMs` for one, so the first call after a restart is not refused.
   */
  async hostForNewCall(waitMs = NEW_CALL_WAIT_MS): Promise<string | null> {
    let candidates = [...this.#hosts.values()].filter((h) => h.available);
    const mayConnect = [...this.#hosts.values()].some((h) => !h.flagged && !h.rejected);
    if (candidates.length === 0 && mayConnect && waitMs > 0 && !this.#closed) {
      await this.#someHostConnected(waitMs);
      candidates = [...this.#hosts.values()].filter((h) => h.available);
    }
    if (candidates.length === 0) return null;
    const loads = await Promise.all(
      candidates.map(async (h) => {
        try {
          const res = await rtcdRequest(this.#o.serviceURL, h.ip, 'GET', '/system', {timeoutMs: 2000, ca: this.#o.ca});
          const load = (JSON.parse(res.body) as {cpu_load?: unknown}).cpu_load;
          return typeof load === 'number' && Number.isFinite(load) ? load : undefined;
        } catch {
          return undefined;
        }
      }),
    );
    let best: {ip: string; load: number} | undefined;
    candidates.forEach((h, i) => {
      const load = loads[i];
      if (load !== undefined && (!best || load < best.load)) best = {ip: h.ip, load};
    });
    return best?.ip ?? candidates[Math.floor(Math.random() * candidates.length)].ip;
  }

  #someHostConnected(waitMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#connectWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, waitMs);
      this.#connectWaiters.add(done);
    });
  }

  /** Sends to a host's connection, creating the host on the fly when it is not known (a call pinned by another node). */
  send(ip: string, msg: ClientMessage): boolean {
    let host = this.#hosts.get(ip);
    if (!host) host = this.#add(ip, 0);
    return host.conn?.send(msg) ?? false;
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    for (const h of this.#hosts.values()) h.close();
    this.#hosts.clear();
    for (const w of [...this.#connectWaiters]) w();
  }

  async #recheck(first: boolean): Promise<void> {
    let ips: string[];
    try {
      ips = /^\d+\.\d+\.\d+\.\d+$/.test(this.#hostname) ? [this.#hostname] : await this.#o.resolve4(this.#hostname);
    } catch (err) {
      // A failing lookup flags nothing: the hosts we have keep their calls.
      this.#log.warn({host: this.#hostname, err: (err as Error).message}, 'rtcd host name did not resolve');
      return;
    }
    if (this.#closed) return;
    const now = new Set(ips);
    for (const ip of now) {
      const h = this.#hosts.get(ip);
      if (!h) this.#add(ip, first ? 0 : Math.random() * (this.#o.jitterMs ?? 5000));
      else if (h.flagged) {
        h.flagged = false;
        this.#log.info({ip}, 'rtcd host back in DNS: takes new calls again');
      }
    }
    for (const [ip, h] of this.#hosts) {
      if (!now.has(ip) && !h.flagged) {
        h.flagged = true;
        this.#o.onUnavailable?.(ip);
        this.#log.info({ip}, 'rtcd host gone from DNS: no new calls go there');
      }
    }
  }

  #add(ip: string, delayMs: number): RtcdHost {
    const h = new RtcdHost(ip, this.#o, this.#log);
    this.#hosts.set(ip, h);
    h.start(delayMs);
    return h;
  }
}
