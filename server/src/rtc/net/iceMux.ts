// The one place where the SFU reaches below werift's public API for networking: it replaces each ICE
// agent's candidate gathering so that its host candidates live on the shared UDP/TCP ports of the mux
// (werift would otherwise open a socket per peer connection) and advertise the planned addresses.
import type {Socket} from 'node:net';
import {
  Candidate,
  StunProtocol,
  TcpPassiveProtocol,
  candidateFoundation,
  candidatePriority,
  type Protocol,
  type RTCPeerConnection,
} from 'werift';
import type {Logger} from '../../log';
import {ipv4Word, type Egress} from '../fastpath/egress';
import type {Ingress} from '../fastpath/ingress';
import {bindingRequestUfrag, hasMessageIntegrity, isBindingRequest} from './stun';
import type {TcpMuxEndpoint, TcpMuxListener} from './tcpMux';
import type {Address, MuxEndpoint, UdpMuxSocket} from './udpMux';

/** One host candidate of every session: which shared socket carries it and what address it advertises. */
export type HostCandidate =
  | {transport: 'udp'; socket: UdpMuxSocket; address: string; port: number; advertise: boolean; reflexive?: string}
  | {transport: 'tcp'; listener: TcpMuxListener; address: string; port: number; advertise: boolean};

/** The members of werift's ice Connection this module relies on (werift 0.25.2, lib/ice/src/ice.js). */
interface ConnectionInternals {
  localUsername: string;
  localPassword: string;
  stunServer?: unknown;
  userHistory: Record<string, string>;
  generation: number;
  protocols: Protocol[];
  checkList: unknown[];
  earlyChecks: unknown[];
  state: string;
  connect(): Promise<void>;
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

interface TcpProtocolInternals {
  registerSocket(socket: Socket, remoteAddr?: Address): {buffer: Buffer};
  handleFrame(data: Buffer, addr: Address): void;
}

const PATCHED = Symbol('callsIceMux');
/** How long a controlled agent with nothing to check waits for the client's first check. */
const FIRST_CHECK_WAIT_MS = 15_000;
const FIRST_CHECK_POLL_MS = 20;

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
    return {address: this.#socket.localAddress, port: this.#socket.port, family: this.#socket.family === 6 ? 'IPv6' : 'IPv4'};
  }

  get addressFamily(): 4 | 6 {
    return this.#socket.family;
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

/** Whether a binding request names one of the agent's ufrags and is signed with that ufrag's password. */
function authenticCheck(conn: ConnectionInternals, request: Buffer): boolean {
  const ufrag = bindingRequestUfrag(request);
  if (ufrag === undefined) return false;
  const password = Object.hasOwn(conn.userHistory, ufrag) ? conn.userHistory[ufrag] : ufrag === conn.localUsername ? conn.localPassword : undefined;
  return password !== undefined && hasMessageIntegrity(request, password);
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
 * A synchronous packet sink for an ICE agent: straight to the shared UDP socket when the selected pair
 * is one of ours, through werift otherwise (TCP, TURN). Re-resolves when the selected pair changes and
 * sends nothing without a selected pair or after consent was lost (RFC 7675).
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

  constructor(connection: unknown) {
    this.#agent = connection as AgentSendState;
  }

  route(): SinkRoute {
    const agent = this.#agent;
    const nominated = agent.nominated;
    if (!nominated || agent.consentFresh === false || agent.state === 'failed' || agent.state === 'closed') return SinkRoute.None;
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

/**
 * Ties one peer connection to the mux. Call attach() after every setRemoteDescription and before
 * creating an offer or answer: it patches ICE agents that appeared since, and gives them a unique ufrag.
 */
export class IceMuxBinding {
  readonly #pc: RTCPeerConnection;
  readonly #candidates: HostCandidate[];
  readonly #ufragBase: string;
  #agents = 0;
  readonly #logger: Logger;
  readonly #udp: {socket: UdpMuxSocket; endpoint: MuxEndpoint}[] = [];
  readonly #tcp: {listener: TcpMuxListener; endpoint: TcpMuxEndpoint}[] = [];
  #closed = false;
  /** The session's fast receive path: offered every UDP datagram before werift's ICE agent. */
  ingress: Ingress | undefined;

  /** `ufragBase` must be unique per session: it is what routes checks to this session. */
  constructor(pc: RTCPeerConnection, candidates: HostCandidate[], ufragBase: string, logger: Logger) {
    this.#pc = pc;
    this.#candidates = candidates;
    this.#ufragBase = ufragBase;
    this.#logger = logger;
  }

  attach(): void {
    if (this.#closed) return;
    for (const transport of this.#pc.iceTransports) {
      const conn = transport.connection as unknown as ConnectionInternals & {[PATCHED]?: true};
      if (conn[PATCHED]) continue;
      conn[PATCHED] = true;
      // A BUNDLE peer has one agent; a client without BUNDLE gets one per m-line, each its own ufrag.
      const ufrag = this.#agents++ === 0 ? this.#ufragBase : `${this.#ufragBase}${this.#agents}`;
      conn.localUsername = ufrag;
      conn.userHistory[ufrag] = conn.localPassword;
      // werift falls back to a public Google STUN server when none is configured; the SFU never asks one.
      conn.stunServer = undefined;
      // werift's ICE restart picks a 4-hex ufrag, far too collision-prone for a shared port.
      let restarts = 0;
      const originalRestart = conn.restart.bind(conn);
      conn.restart = () => {
        const done = originalRestart();
        const next = `${ufrag}r${++restarts}`;
        conn.localUsername = next;
        conn.userHistory[next] = conn.localPassword;
        return done;
      };
      const original = conn.getCandidatePromises.bind(conn);
      // werift fails a controlled agent at once when no remote candidate pairs with ours (a client that
      // only offers TCP active candidates, port 9): wait for its first incoming check instead.
      const originalConnect = conn.connect.bind(conn);
      conn.connect = async () => {
        const deadline = Date.now() + FIRST_CHECK_WAIT_MS;
        while (conn.checkList.length === 0 && conn.earlyChecks.length === 0 && conn.state !== 'closed' && !this.#closed &&
          Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, FIRST_CHECK_POLL_MS));
        }
        return originalConnect();
      };
      let gathered = false;
      const endpoints: {register(ufrag: string): void}[] = [];
      conn.getCandidatePromises = (_addresses: string[], timeout?: number) => {
        // No host addresses for werift: only its TURN allocation (if configured) still runs.
        const relay = original([], timeout);
        // werift adds a TURN protocol when its allocation completes, even after the agent closed; close
        // such late arrivals so their socket and refresh timers do not outlive the session.
        void Promise.allSettled(relay).then(() => {
          if (!this.#closed && conn.state !== 'closed') return;
          for (const p of conn.protocols) void p.close().catch(() => {});
          conn.protocols.length = 0;
        });
        if (this.#closed) return relay;
        if (!gathered) {
          gathered = true;
          this.#gather(conn, endpoints);
        } else {
          // An ICE restart re-advertises the same protocols under a new ufrag.
          for (const e of endpoints) e.register(conn.localUsername);
        }
        return relay;
      };
    }
  }

  /** Unregisters every mux entry of this session. The protocols themselves close with the peer connection. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const {socket, endpoint} of this.#udp) socket.unregister(endpoint);
    for (const {listener, endpoint} of this.#tcp) listener.unregister(endpoint);
  }

  #gather(conn: ConnectionInternals, endpoints: {register(ufrag: string): void}[]): void {
    const ufrag = conn.localUsername;
    for (const hc of this.#candidates) {
      if (hc.transport === 'udp') {
        const protocol = new StunProtocol();
        const internals = protocol as unknown as StunProtocolInternals;
        const endpoint: MuxEndpoint = {
          authenticate: (request) => authenticCheck(conn, request),
          receive: (data, addr) => {
            if (this.ingress?.take(data)) return;
            // Also from a source the mux already knows: werift itself would answer (and act on) any check.
            if (isBindingRequest(data) && !authenticCheck(conn, data)) return;
            internals.datagramReceived(data, addr);
          },
        };
        internals.transport = new MuxUdpTransport(hc.socket, () => hc.socket.unregister(endpoint));
        protocol.localIp = hc.socket.localAddress;
        protocol.localCandidate = new Candidate(
          candidateFoundation('host', 'udp', hc.address), 1, 'udp',
          candidatePriority('host', {transport: 'udp'}), hc.address, hc.port, 'host',
          undefined, undefined, undefined, conn.generation, ufrag);
        this.#addProtocol(conn, protocol, protocol.localCandidate, hc.advertise);
        if (hc.reflexive) {
          // The public address STUN reported for this socket: same socket, so no protocol of its own.
          conn.appendLocalCandidate(new Candidate(
            candidateFoundation('srflx', 'udp', hc.socket.localAddress), 1, 'udp', candidatePriority('srflx'),
            hc.reflexive, hc.port, 'srflx', hc.address, hc.port, undefined, conn.generation, ufrag));
        }
        hc.socket.register(ufrag, endpoint);
        this.#udp.push({socket: hc.socket, endpoint});
        endpoints.push({register: (u) => hc.socket.register(u, endpoint)});
      } else {
        const protocol = new TcpPassiveProtocol();
        const internals = protocol as unknown as TcpProtocolInternals;
        const endpoint: TcpMuxEndpoint = {
          authenticate: (request) => authenticCheck(conn, request),
          adopt: (socket, remote, frames, rest) => {
            const entry = internals.registerSocket(socket, remote);
            let buffered = rest;
            while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
              const len = buffered.readUInt16BE(0);
              frames.push(buffered.subarray(2, 2 + len));
              buffered = buffered.subarray(2 + len);
            }
            entry.buffer = buffered;
            for (const frame of frames) if (frame.length > 0) internals.handleFrame(frame, remote);
          },
        };
        protocol.localIp = hc.listener.localAddress;
        protocol.localCandidate = new Candidate(
          candidateFoundation('host', 'tcp', hc.address), 1, 'tcp',
          candidatePriority('host', {transport: 'tcp', tcptype: 'passive'}), hc.address, hc.port, 'host',
          undefined, undefined, 'passive', conn.generation, ufrag);
        this.#addProtocol(conn, protocol, protocol.localCandidate, hc.advertise);
        hc.listener.register(ufrag, endpoint);
        this.#tcp.push({listener: hc.listener, endpoint});
        endpoints.push({register: (u) => hc.listener.register(u, endpoint)});
      }
    }
    this.#logger.debug({ufrag, candidates: this.#candidates.length}, 'ice candidates on the shared ports');
  }

  #addProtocol(conn: ConnectionInternals, protocol: Protocol, candidate: Candidate, advertise: boolean): void {
    conn.ensureProtocol(protocol);
    conn.protocols.push(protocol);
    conn.pairLocalProtocol(protocol);
    if (advertise) conn.appendLocalCandidate(candidate);
  }
}
