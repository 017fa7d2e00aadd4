// The forwarding writers' synchronous send path on a transport's ICE agent (werift 0.25.2 lib/ice/src/ice.js:
// its nominated pair, consent and send): straight to the shared UDP socket when it can, through werift
// otherwise.
import type {RTCDtlsTransport} from 'werift';
import {ipv4Word, type Egress} from '../fastpath/egress';
import type {Address} from '../net/address';
import {MuxUdpTransport} from './muxUdpTransport';

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
