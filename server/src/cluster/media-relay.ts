// What nodes say to each other about media, as one typed relay over the bus: the operations a websocket
// node asks of a call's owner, the SFU events the owner sends back, and the cluster's own media notices
// (detach, moved, unavailable). Every message is checked against its schema on arrival: another node's
// bad message is refused (an error reply, or dropped and logged), never trusted.
import {z} from 'zod';
import type {AppError} from '../errors';
import type {Logger} from '../log';
import {RelayCodec} from '../relay/codec';
import {
  checkSharedNamespace,
  defineProtocol,
  none,
  type CallOps,
  type EventArgs,
  type NotifyOps,
  type RelayEvent,
  type ReplyOf,
  type RequestOf,
  text,
} from '../relay/protocol';
import {rtcInbound, sessionConfig, sessionID, sfuEvents, sfuOps} from '../relay/sfu';
import type {Bus} from './bus';

const nodeID = z.string().max(200);

/** Broadcast when a call's media moves to another node. */
export interface MovedMessage {
  callID: string;
  channelID: string;
  from: string;
  to: string;
}

/** Broadcast when no live node may run a call's media (it waits for a handler). */
export interface UnavailableMessage {
  callID: string;
  channelID: string;
  reason: string;
}

const moved: z.ZodType<MovedMessage> = z.object({callID: z.string(), channelID: z.string(), from: nodeID, to: nodeID});
const unavailable: z.ZodType<UnavailableMessage> = z.object({
  callID: z.string(),
  channelID: z.string(),
  reason: text(1000),
});

export const clusterMediaRelay = defineProtocol({
  name: 'cluster media',
  ops: {
    /** Create (or re-create) a session's SFU session on the call's owner; the sender holds its websocket. */
    connect: {request: z.object({cfg: sessionConfig, restore: z.boolean()}), reply: none},
    /** The sender now holds the session's websocket: does the owner still have a usable SFU session? */
    adopt: {request: z.object({sessionID}), reply: z.object({exists: z.boolean()})},
    disconnect: {request: sessionID, reply: null},
    rtc: {request: rtcInbound, reply: null},
    /** An operation on a session the receiver hosts (relay/sfu.ts sessionOps), passed on as it is. */
    sessionOp: sfuOps.sessionOp,
  },
  events: {
    ...sfuEvents,
    /** Broadcast: `node` adopted the session's websocket; its previous node forgets it without teardown. */
    detach: z.tuple([sessionID, nodeID]),
    moved: z.tuple([moved]),
    unavailable: z.tuple([unavailable]),
  },
});

type Ops = typeof clusterMediaRelay.ops;
type Events = typeof clusterMediaRelay.events;
export type ClusterMediaEvent = RelayEvent<Events>;

/** The media relay on the cluster bus: the bus moves, pairs and times out messages; this types and checks them. */
/** The part of the bus the relay uses. */
export type MediaBusTransport = Pick<Bus, 'request' | 'send' | 'handle' | 'broadcast'>;

export class MediaBus {
  readonly #bus: MediaBusTransport;
  readonly #codec = new RelayCodec(clusterMediaRelay, 'app.calls.cluster.remote_error');
  readonly #log: Logger;

  constructor(bus: MediaBusTransport, logger: Logger) {
    checkSharedNamespace(clusterMediaRelay, ['reply', 'event', 'left']);
    this.#bus = bus;
    this.#log = logger;
  }

  request<K extends CallOps<Ops>>(node: string, op: K, req: RequestOf<Ops, K>): Promise<ReplyOf<Ops, K>> {
    return this.#bus
      .request(node, op, this.#codec.encodeRequest(op, req))
      .then((rep) => this.#codec.decodeReply(op, rep));
  }

  send<K extends NotifyOps<Ops>>(node: string, op: K, req: RequestOf<Ops, K>): void {
    this.#bus.send(node, op, this.#codec.encodeRequest(op, req));
  }

  /** Serves `op`: a request that fails its check is answered with app.relay.bad_request (a one-way one is dropped). */
  handle<K extends keyof Ops & string>(
    op: K,
    handler: (req: RequestOf<Ops, K>, from: string) => ReplyOf<Ops, K> | void | Promise<ReplyOf<Ops, K> | void>,
  ): void {
    this.#bus.handle(op, async (m) =>
      this.#codec.encodeReply(op, await handler(this.#codec.decodeRequest(op, m.data), m.from)),
    );
  }

  emitTo(node: string, e: ClusterMediaEvent): void {
    this.#bus.send(node, e.ev, this.#codec.encodeEvent(e.ev, e.args));
  }

  broadcast<K extends keyof Events & string>(ev: K, ...args: EventArgs<Events, K>): void {
    this.#bus.broadcast(ev, this.#codec.encodeEvent(ev, args));
  }

  /** Every event, checked: one that fails its check is dropped and logged. */
  onEvent(handler: (e: ClusterMediaEvent, from: string) => void): void {
    for (const ev of Object.keys(clusterMediaRelay.events)) {
      this.#bus.handle(ev, (m) => {
        let e: ClusterMediaEvent;
        try {
          e = this.#codec.decodeEventOf(ev, m.data);
        } catch (err) {
          this.#log.warn({err: (err as AppError).message, from: m.from}, 'cluster media event refused');
          return;
        }
        handler(e, m.from);
      });
    }
  }
}
