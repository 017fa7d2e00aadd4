// werift's ICE agent (its ice Connection, werift 0.25.2 lib/ice/src/ice.js) as the port mux drives it:
// ufrags and host candidates on the shared UDP/TCP sockets instead of a socket per peer connection.
// Everything here reaches below werift's public API; net/iceMux.ts decides what to do with it. The patches of
// werift's ICE internals are this file and the four beside it, one concern each, so a werift upgrade is
// checked against them: clientConsent.ts (consent to send from the client's checks),
// iceSettle.ts (connect() told at once when the check list is done), muxUdpTransport.ts (the shared socket as a
// protocol's transport), packetSink.ts (the forwarding writers' send).
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
import type {Address} from '../net/address';
import {bindingRequestUfrag, bindingSuccess, claimsControlling, hasMessageIntegrity} from '../net/stun';
import type {TcpMuxListener} from '../net/tcpMux';
import type {UdpMuxSocket} from '../net/udpMux';
import {consentFromClientChecks, renewConsent, type ConsentAgent} from './clientConsent';
import {settleIceOnCompletion, type SettlingConnection} from './iceSettle';
import {MuxUdpTransport} from './muxUdpTransport';

/** werift's selected pair (iceBase.js CandidatePair), as a consent check on it is answered here. */
interface SelectedPair {
  remoteAddr: Address;
  state: number;
  protocol: {transport?: unknown};
  requestsReceived: number;
  responsesSent: number;
}

/** werift's CandidatePairState.SUCCEEDED. */
const PAIR_SUCCEEDED = 3;

/** The members of werift's ice Connection relied on here (and by iceSettle.ts and clientConsent.ts). */
interface ConnectionInternals extends SettlingConnection, ConsentAgent {
  nominated?: SelectedPair;
  iceControlling: boolean;
  localUsername: string;
  localPassword: string;
  stunServer?: unknown;
  userHistory: Record<string, string>;
  generation: number;
  protocols: Protocol[];
  earlyChecks: unknown[];
  checkListDone: boolean;
  connect(): Promise<void>;
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

/** One ICE agent of a peer connection, patched once to live on the mux. */
export class IceAgent {
  readonly #conn: ConnectionInternals;
  /** Ends a nap() early: something that may give the agent a check arrived. */
  #wake: (() => void) | undefined;

  private constructor(conn: ConnectionInternals) {
    this.#conn = conn;
    consentFromClientChecks(conn);
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
    const password = this.#passwordFor(request);
    return password !== undefined && hasMessageIntegrity(request, password);
  }

  /** The password of the agent's ufrag a binding request names (this or an earlier generation's), if any. */
  #passwordFor(request: Buffer): string | undefined {
    const conn = this.#conn;
    const ufrag = bindingRequestUfrag(request);
    if (ufrag === undefined) return undefined;
    if (Object.hasOwn(conn.userHistory, ufrag)) return conn.userHistory[ufrag];
    return ufrag === conn.localUsername ? conn.localPassword : undefined;
  }

  /**
   * Answers an authentic check from `addr` that arrived on `transport` when it is the client's consent check on the
   * selected pair (every ≈ 5 s per session, most of the STUN an idle session costs): the response built here, sent
   * at once, the consent renewed (clientConsent.ts). werift's own path parses the message into objects, looks the
   * pair up and formats two debug records it does not print. False for every other check (connectivity, a new
   * path, a role conflict): werift handles those.
   */
  answerConsentCheck(request: Buffer, addr: Address, transport: MuxUdpTransport): boolean {
    const conn = this.#conn;
    const pair = conn.nominated;
    if (
      !pair ||
      pair.state !== PAIR_SUCCEEDED ||
      pair.protocol.transport !== transport ||
      pair.remoteAddr[0] !== addr[0] ||
      pair.remoteAddr[1] !== addr[1] ||
      conn.state === 'closed' ||
      conn.state === 'failed'
    )
      return false;
    // The client claiming our role (or neither): werift's role-conflict handling answers.
    if (claimsControlling(request) !== !conn.iceControlling) return false;
    const password = this.#passwordFor(request);
    const response = password === undefined ? undefined : bindingSuccess(request, addr[0], addr[1], password);
    if (!response) return false;
    transport.sendNow(response, addr);
    pair.requestsReceived++;
    pair.responsesSent++;
    renewConsent(conn, addr);
    return true;
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
  ): {deliver: (data: Buffer, addr: Address) => void; transport: MuxUdpTransport} {
    const conn = this.#conn;
    const ufrag = conn.localUsername;
    const protocol = new StunProtocol();
    const internals = protocol as unknown as StunProtocolInternals;
    const transport = new MuxUdpTransport(hc.socket, onClose);
    internals.transport = transport;
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
    return {deliver: (data, addr) => internals.datagramReceived(data, addr), transport};
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
