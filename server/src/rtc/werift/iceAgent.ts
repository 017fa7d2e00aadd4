// werift's ICE agent (its ice Connection, werift 0.25.2 lib/ice/src/ice.js) as the port mux drives it:
// ufrags, host candidates on the shared UDP/TCP sockets instead of a socket per peer connection, and
// the synchronous send path of the forwarding writers. Everything here reaches below werift's public
// API; net/iceMux.ts decides what to do with it. Longer than our other modules on purpose: every patch of
// werift's ICE internals stays in this one file, so a werift upgrade is checked against one place.
import type {Socket} from 'node:net';
import {
  Candidate,
  StunProtocol,
  TcpPassiveProtocol,
  candidateFoundation,
  candidatePriority,
  type Protocol,
  type RTCDtlsTransport,
  type RTCPeerConnection,
} from 'werift';
import {ipv4Word, type Egress} from '../fastpath/egress';
import type {Address} from '../net/address';
import {bindingRequestUfrag, hasMessageIntegrity} from '../net/stun';
import type {TcpMuxListener} from '../net/tcpMux';
import type {UdpMuxSocket} from '../net/udpMux';

/** The members of werift's ice Connection relied on here. */
interface ConnectionInternals {
  localUsername: string;
  localPassword: string;
  stunServer?: unknown;
  userHistory: Record<string, string>;
  generation: number;
  protocols: Protocol[];
  checkList: {state: number}[];
  earlyChecks: unknown[];
  state: string;
  checkListDone: boolean;
  checkListState: CheckListQueue;
  /** The running consent check's controller (RFC 7675 checks, every ≈ 5 s). */
  consentRequestAbort?: AbortController;
  connect(): Promise<void>;
  schedulingChecks(): boolean;
  addRemoteCandidate(candidate: unknown): Promise<void>;
  restart(): Promise<void>;
  getCandidatePromises(addresses: string[], timeout?: number): Promise<unknown>[];
  ensureProtocol(protocol: Protocol): void;
  pairLocalProtocol(protocol: Protocol): void;
  appendLocalCandidate(candidate: Candidate): void;
}

interface StunProtocolInternals {
  transport: unknown;
  datagramReceived(data: Buffer, addr: Address): void;
}

/** werift's passive TCP protocol, as the TCP mux hands it an accepted connection. */
export interface TcpProtocolInternals {
  registerSocket(socket: Socket, remoteAddr?: Address): {buffer: Buffer};
  handleFrame(data: Buffer, addr: Address): void;
}

const PATCHED = Symbol('callsIceMux');
const SETTLES = Symbol('callsIceSettles');

/** werift's CandidatePairState (ice/src/iceBase.js): FROZEN 0, WAITING 1, IN_PROGRESS 2, SUCCEEDED 3, FAILED 4. */
const PAIR_FROZEN = 0;
const PAIR_WAITING = 1;
/** RFC 8445 Ta: werift's pacing between two ordinary checks. */
const CHECK_PACING_MS = 20;

/** werift's PQueue (ice/src/helper.js), which carries the check list's outcomes to connect(). */
interface CheckListQueue {
  queue: unknown[];
  put(value: unknown): void;
  get(): unknown;
}

/**
 * werift's PQueue.get() on an empty queue subscribes a waiter that is never removed: every later put() runs it
 * again and it takes that value off the queue. connect() only read the queue once the outcome was there; now
 * that it waits on it early, a failure followed by a success would lose the success to the first waiter and
 * leave the agent checking forever. Each waiter now takes one value.
 */
function oneValuePerWaiter(q: CheckListQueue): void {
  const waiters: ((value: unknown) => void)[] = [];
  q.put = (value) => {
    const waiter = waiters.shift();
    if (waiter) waiter(value);
    else q.queue.push(value);
  };
  q.get = () => (q.queue.length > 0 ? q.queue.shift() : new Promise((resolve) => waiters.push(resolve)));
}

/**
 * werift's connect() re-runs its check scheduler every Ta (20 ms) and reports `connected` only once that loop
 * sees the check list complete, so after its last check was started the agent still sat up to 20 ms on a
 * finished check list (on both sides of a join, before DTLS could start). Once the scheduler has nothing
 * left to start, connect() now goes straight to waiting for the check list's outcome (werift's own queue, so
 * `connected` follows the deciding check at once) while pairs that turn up later (trickled candidates) are
 * still started every Ta by a timer of the same pacing, which ends when the check list is done or the agent
 * closes. Idempotent per agent.
 */
export function settleIceOnCompletion(connection: unknown): void {
  const conn = connection as ConnectionInternals & {[SETTLES]?: true};
  if (conn[SETTLES]) return;
  conn[SETTLES] = true;
  // An ICE restart gives the agent a new queue.
  let queue = conn.checkListState;
  oneValuePerWaiter(queue);
  Object.defineProperty(conn, 'checkListState', {
    configurable: true,
    enumerable: true,
    get: () => queue,
    set: (next: CheckListQueue) => {
      queue = next;
      oneValuePerWaiter(next);
    },
  });
  const schedule = conn.schedulingChecks.bind(conn);
  let pacer: NodeJS.Timeout | undefined;
  conn.schedulingChecks = () => {
    const more = schedule();
    // Pacing stays in connect()'s loop while pairs wait to be started; with no pair at all it must keep
    // polling too (its completion wait would fail an empty check list).
    if (!more || pacer || conn.checkList.length === 0) return more;
    if (conn.checkList.some((p) => p.state === PAIR_WAITING || p.state === PAIR_FROZEN)) return more;
    pacer = setInterval(() => {
      if (conn.state === 'closed' || !schedule()) {
        clearInterval(pacer);
        pacer = undefined;
      }
    }, CHECK_PACING_MS);
    pacer.unref();
    return false;
  };
}

/** Stands in for werift's UdpTransport: sends through the shared socket, never binds one. */
class MuxUdpTransport {
  readonly type = 'udp';
  closed = false;
  readonly #socket: UdpMuxSocket;
  readonly #onClose: () => void;

  constructor(socket: UdpMuxSocket, onClose: () => void) {
    this.#socket = socket;
    this.#onClose = onClose;
  }

  send = async (data: Buffer, addr?: Address): Promise<void> => {
    if (this.closed || !addr) return;
    this.#socket.send(data, addr);
  };

  /** The forwarding fast path's send: no promise, no lookup. */
  sendNow(data: Buffer, addr: Address): void {
    if (!this.closed) this.#socket.send(data, addr);
  }

  /** The shared socket's batched sender, if it has one and this transport is open. */
  get egress(): Egress | undefined {
    return this.closed ? undefined : this.#socket.egress;
  }

  close = async (): Promise<void> => {
    if (this.closed) return;
    this.closed = true;
    this.#onClose();
  };

  get address(): {address: string; port: number; family: string} {
    return {
      address: this.#socket.localAddress,
      port: this.#socket.port,
      family: this.#socket.family === 6 ? 'IPv6' : 'IPv4',
    };
  }

  get addressFamily(): 4 | 6 {
    return this.#socket.family;
  }
}

/** The reason a superseded consent request is aborted with (werift reads only `aborted`). */
const CONSENT_SUPERSEDED = new Error('consent request superseded');

/**
 * Before each consent check (every ≈ 5 s) werift aborts the previous check's AbortController, answered long
 * before; abort() without a reason builds a DOMException and captures its stack, ≈ a quarter of the CPU a
 * consent check costs the SFU. The controllers werift stores get a reason made once instead.
 */
function cheapConsentAborts(conn: ConnectionInternals): void {
  let current = conn.consentRequestAbort;
  Object.defineProperty(conn, 'consentRequestAbort', {
    configurable: true,
    enumerable: true,
    get: () => current,
    set: (c: AbortController | undefined) => {
      if (c) {
        const abort = c.abort.bind(c);
        c.abort = (reason?: unknown) => abort(reason ?? CONSENT_SUPERSEDED);
      }
      current = c;
    },
  });
}

/** One ICE agent of a peer connection, patched once to live on the mux. */
export class IceAgent {
  readonly #conn: ConnectionInternals;
  /** Ends a nap() early: something that may give the agent a check arrived. */
  #wake: (() => void) | undefined;

  private constructor(conn: ConnectionInternals) {
    this.#conn = conn;
    cheapConsentAborts(conn);
    const addRemoteCandidate = conn.addRemoteCandidate.bind(conn);
    conn.addRemoteCandidate = async (candidate: unknown) => {
      await addRemoteCandidate(candidate);
      this.nudge();
    };
  }

  /** The agents of `pc` not returned before (a client without BUNDLE has one per m-line). */
  static fresh(pc: RTCPeerConnection): IceAgent[] {
    const agents: IceAgent[] = [];
    for (const transport of pc.iceTransports) {
      const conn = transport.connection as unknown as ConnectionInternals & {[PATCHED]?: true};
      if (conn[PATCHED]) continue;
      conn[PATCHED] = true;
      agents.push(new IceAgent(conn));
    }
    return agents;
  }

  /** The agent's current local ufrag. */
  get ufrag(): string {
    return this.#conn.localUsername;
  }

  get closed(): boolean {
    return this.#conn.state === 'closed';
  }

  /** Whether the agent has a candidate pair to check or an early check from the client. */
  get hasChecks(): boolean {
    return this.#conn.checkList.length > 0 || this.#conn.earlyChecks.length > 0;
  }

  /** Waits `ms`, or less if nudge() is called meanwhile. */
  nap(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        if (this.#wake === done) this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wake = done;
    });
  }

  /** A remote candidate or a check may have arrived: a nap() in progress ends now. */
  nudge(): void {
    this.#wake?.();
  }

  /** See settleIceOnCompletion. */
  settleOnCompletion(): void {
    settleIceOnCompletion(this.#conn);
  }

  /** Makes `ufrag` the agent's local ufrag; checks naming it are answered with the agent's password. */
  setUfrag(ufrag: string): void {
    this.#conn.localUsername = ufrag;
    this.#conn.userHistory[ufrag] = this.#conn.localPassword;
  }

  /** Whether a binding request names one of the agent's ufrags and is signed with that ufrag's password. */
  authentic(request: Buffer): boolean {
    const conn = this.#conn;
    const ufrag = bindingRequestUfrag(request);
    if (ufrag === undefined) return false;
    const password = Object.hasOwn(conn.userHistory, ufrag)
      ? conn.userHistory[ufrag]
      : ufrag === conn.localUsername
        ? conn.localPassword
        : undefined;
    return password !== undefined && hasMessageIntegrity(request, password);
  }

  /** werift falls back to a public Google STUN server when none is configured; the SFU never asks one. */
  clearStunServer(): void {
    this.#conn.stunServer = undefined;
  }

  /** After each ICE restart the agent takes the ufrag `next()` names (werift's own is 4 hex digits). */
  renameOnRestart(next: () => string): void {
    const conn = this.#conn;
    const originalRestart = conn.restart.bind(conn);
    conn.restart = () => {
      const done = originalRestart();
      this.setUfrag(next());
      return done;
    };
  }

  /** Runs `before` ahead of werift's connectivity checks (which it starts on setRemoteDescription). */
  beforeConnect(before: () => Promise<void>): void {
    const conn = this.#conn;
    const originalConnect = conn.connect.bind(conn);
    conn.connect = async () => {
      await before();
      return originalConnect();
    };
  }

  /**
   * Replaces werift's host candidate gathering: `gather` runs instead on every gathering (the first and
   * after each ICE restart); werift's TURN allocation, if configured, still runs. TURN protocols that
   * arrive after the agent (or `stopped()`) closed are closed, so their sockets and refresh timers do
   * not outlive the session.
   */
  replaceHostGathering(gather: () => void, stopped: () => boolean): void {
    const conn = this.#conn;
    const original = conn.getCandidatePromises.bind(conn);
    conn.getCandidatePromises = (_addresses: string[], timeout?: number) => {
      const relay = original([], timeout);
      void Promise.allSettled(relay).then(() => {
        if (!stopped() && conn.state !== 'closed') return;
        for (const p of conn.protocols) void p.close().catch(() => {});
        conn.protocols.length = 0;
      });
      if (stopped()) return relay;
      gather();
      return relay;
    };
  }

  /**
   * Adds a host candidate on a shared UDP socket (and its server-reflexive twin, if STUN found one);
   * returns where the mux delivers the datagrams of this agent. `onClose` runs when werift closes it.
   */
  addUdpHost(
    hc: {socket: UdpMuxSocket; address: string; port: number; advertise: boolean; reflexive?: string},
    onClose: () => void,
  ): (data: Buffer, addr: Address) => void {
    const conn = this.#conn;
    const ufrag = conn.localUsername;
    const protocol = new StunProtocol();
    const internals = protocol as unknown as StunProtocolInternals;
    internals.transport = new MuxUdpTransport(hc.socket, onClose);
    protocol.localIp = hc.socket.localAddress;
    protocol.localCandidate = new Candidate(
      candidateFoundation('host', 'udp', hc.address),
      1,
      'udp',
      candidatePriority('host', {transport: 'udp'}),
      hc.address,
      hc.port,
      'host',
      undefined,
      undefined,
      undefined,
      conn.generation,
      ufrag,
    );
    this.#addProtocol(protocol, protocol.localCandidate, hc.advertise);
    if (hc.reflexive) {
      // The public address STUN reported for this socket: same socket, so no protocol of its own.
      conn.appendLocalCandidate(
        new Candidate(
          candidateFoundation('srflx', 'udp', hc.socket.localAddress),
          1,
          'udp',
          candidatePriority('srflx'),
          hc.reflexive,
          hc.port,
          'srflx',
          hc.address,
          hc.port,
          undefined,
          conn.generation,
          ufrag,
        ),
      );
    }
    return (data, addr) => internals.datagramReceived(data, addr);
  }

  /** Adds a passive TCP host candidate on a shared listener; returns the protocol accepted connections go to. */
  addTcpHost(hc: {listener: TcpMuxListener; address: string; port: number; advertise: boolean}): TcpProtocolInternals {
    const conn = this.#conn;
    const protocol = new TcpPassiveProtocol();
    protocol.localIp = hc.listener.localAddress;
    protocol.localCandidate = new Candidate(
      candidateFoundation('host', 'tcp', hc.address),
      1,
      'tcp',
      candidatePriority('host', {transport: 'tcp', tcptype: 'passive'}),
      hc.address,
      hc.port,
      'host',
      undefined,
      undefined,
      'passive',
      conn.generation,
      conn.localUsername,
    );
    this.#addProtocol(protocol, protocol.localCandidate, hc.advertise);
    return protocol as unknown as TcpProtocolInternals;
  }

  #addProtocol(protocol: Protocol, candidate: Candidate, advertise: boolean): void {
    const conn = this.#conn;
    conn.ensureProtocol(protocol);
    conn.protocols.push(protocol);
    conn.pairLocalProtocol(protocol);
    if (advertise) conn.appendLocalCandidate(candidate);
  }
}

interface NominatedPair {
  protocol: {transport?: unknown};
  remoteAddr: Address;
}

interface AgentSendState {
  nominated?: NominatedPair;
  state: string;
  consentFresh?: boolean;
  send(data: Buffer): Promise<void>;
}

/** Where PacketSink.route() says the next packet goes. */
export enum SinkRoute {
  /** Nowhere: no selected pair, or consent lost. */
  None,
  /** Into `sink.egress` for `sink.ip`:`sink.port` (the shared socket's batched sender). */
  Egress,
  /** Through `sink.send()`. */
  Send,
}

/**
 * A synchronous packet sink for a transport's ICE agent: straight to the shared UDP socket when the
 * selected pair is one of ours, through werift otherwise (TCP, TURN). Re-resolves when the selected pair
 * changes and sends nothing without a selected pair or after consent was lost (RFC 7675).
 */
export class PacketSink {
  readonly #agent: AgentSendState;
  #pair: NominatedPair | undefined;
  #direct: MuxUdpTransport | undefined;
  #remoteAddr: Address | undefined;
  #egressible = false;
  /** Set by route() when it returns SinkRoute.Egress: the batched sender and the pair's IPv4 address and port. */
  egress: Egress | undefined;
  ip = 0;
  port = 0;

  constructor(dtls: RTCDtlsTransport) {
    this.#agent = dtls.iceTransport.connection as unknown as AgentSendState;
  }

  route(): SinkRoute {
    const agent = this.#agent;
    const nominated = agent.nominated;
    if (!nominated || agent.consentFresh === false || agent.state === 'failed' || agent.state === 'closed')
      return SinkRoute.None;
    if (nominated !== this.#pair) {
      // Resolved once per selected pair (werift builds a new remoteAddr array on every read).
      this.#pair = nominated;
      this.#direct = nominated.protocol.transport instanceof MuxUdpTransport ? nominated.protocol.transport : undefined;
      this.#remoteAddr = nominated.remoteAddr;
      const [host, port] = this.#remoteAddr;
      const ip = this.#direct?.egress ? ipv4Word(host) : null;
      this.#egressible = ip !== null;
      this.ip = ip ?? 0;
      this.port = port;
    }
    if (this.#egressible) {
      const egress = this.#direct!.egress;
      if (egress) {
        this.egress = egress;
        return SinkRoute.Egress;
      }
    }
    return SinkRoute.Send;
  }

  send(data: Buffer): void {
    if (this.route() !== SinkRoute.None) this.sendRouted(data);
  }

  /** send() right after route() said Egress or Send. */
  sendRouted(data: Buffer): void {
    if (this.#direct) this.#direct.sendNow(data, this.#remoteAddr!);
    else this.#agent.send(data).catch(() => {});
  }
}
