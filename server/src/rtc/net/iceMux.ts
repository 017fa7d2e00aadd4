// Ties each session's ICE agents to the shared UDP/TCP ports: their host candidates live on the mux's
// sockets and advertise the planned addresses, each agent registers its ufrags with the mux, and only
// authentic checks reach werift. The werift side of this (patching the agent) is werift/iceAgent.ts.
import type {RTCPeerConnection} from 'werift';
import type {Logger} from '../../log';
import type {Ingress} from '../fastpath/ingress';
import {IceAgent} from '../werift/internals';
import {isBindingRequest} from './stun';
import type {TcpMuxEndpoint, TcpMuxListener} from './tcpMux';
import type {MuxEndpoint, UdpMuxSocket} from './udpMux';

/** One host candidate of every session: which shared socket carries it and what address it advertises. */
export type HostCandidate =
  | {transport: 'udp'; socket: UdpMuxSocket; address: string; port: number; advertise: boolean; reflexive?: string}
  | {transport: 'tcp'; listener: TcpMuxListener; address: string; port: number; advertise: boolean};

/** How long a controlled agent with nothing to check waits for the client's first candidate or check. */
const FIRST_CHECK_WAIT_MS = 15_000;
/** The wait is woken by what arrives; this poll only backs up paths that do not wake it (later TCP frames). */
const FIRST_CHECK_POLL_MS = 20;

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
  readonly #patched: IceAgent[] = [];
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
    for (const agent of IceAgent.fresh(this.#pc)) {
      this.#patched.push(agent);
      // A BUNDLE peer has one agent; a client without BUNDLE gets one per m-line, each its own ufrag.
      const ufrag = this.#agents++ === 0 ? this.#ufragBase : `${this.#ufragBase}${this.#agents}`;
      agent.setUfrag(ufrag);
      agent.clearStunServer();
      // werift's ICE restart picks a 4-hex ufrag, far too collision-prone for a shared port.
      let restarts = 0;
      agent.renameOnRestart(() => `${ufrag}r${++restarts}`);
      // werift fails a controlled agent at once when no remote candidate pairs with ours (a client that
      // only offers TCP active candidates, port 9, or a browser whose candidates trickle in after its offer):
      // wait for its first candidate or incoming check instead, woken by either (nudge) as it arrives.
      agent.beforeConnect(async () => {
        const deadline = Date.now() + FIRST_CHECK_WAIT_MS;
        while (!agent.hasChecks && !agent.closed && !this.#closed && Date.now() < deadline) {
          await agent.nap(FIRST_CHECK_POLL_MS);
        }
      });
      agent.settleOnCompletion();
      let gathered = false;
      const endpoints: {register(ufrag: string): void}[] = [];
      agent.replaceHostGathering(
        () => {
          if (!gathered) {
            gathered = true;
            this.#gather(agent, endpoints);
          } else {
            // An ICE restart re-advertises the same protocols under a new ufrag.
            for (const e of endpoints) e.register(agent.ufrag);
          }
        },
        () => this.#closed,
      );
    }
  }

  /** Unregisters every mux entry of this session. The protocols themselves close with the peer connection. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const agent of this.#patched) agent.nudge();
    for (const {socket, endpoint} of this.#udp) socket.unregister(endpoint);
    for (const {listener, endpoint} of this.#tcp) listener.unregister(endpoint);
  }

  #gather(agent: IceAgent, endpoints: {register(ufrag: string): void}[]): void {
    const ufrag = agent.ufrag;
    for (const hc of this.#candidates) {
      if (hc.transport === 'udp') {
        const endpoint: MuxEndpoint = {
          authenticate: (request) => agent.authentic(request),
          receive: (data, addr, _key, authentic, receiver) => {
            if (this.ingress?.take(data, addr, receiver)) return;
            // Also from a source the mux already knows (which the mux did not check it for): werift itself would
            // answer (and act on) any check.
            const check = isBindingRequest(data);
            if (check && !authentic && !agent.authentic(data)) return;
            if (check && agent.answerConsentCheck(data, addr, transport)) return;
            deliver(data, addr);
            if (check) agent.nudge();
          },
        };
        const {deliver, transport} = agent.addUdpHost(hc, () => hc.socket.unregister(endpoint));
        hc.socket.register(ufrag, endpoint);
        this.#udp.push({socket: hc.socket, endpoint});
        endpoints.push({register: (u) => hc.socket.register(u, endpoint)});
      } else {
        const protocol = agent.addTcpHost(hc);
        const endpoint: TcpMuxEndpoint = {
          authenticate: (request) => agent.authentic(request),
          adopt: (socket, remote, frames, rest) => {
            const entry = protocol.registerSocket(socket, remote);
            let buffered = rest;
            while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
              const len = buffered.readUInt16BE(0);
              frames.push(buffered.subarray(2, 2 + len));
              buffered = buffered.subarray(2 + len);
            }
            entry.buffer = buffered;
            for (const frame of frames) if (frame.length > 0) protocol.handleFrame(frame, remote);
            agent.nudge();
          },
        };
        hc.listener.register(ufrag, endpoint);
        this.#tcp.push({listener: hc.listener, endpoint});
        endpoints.push({register: (u) => hc.listener.register(u, endpoint)});
      }
    }
    this.#logger.debug({ufrag, candidates: this.#candidates.length}, 'ice candidates on the shared ports');
  }
}
