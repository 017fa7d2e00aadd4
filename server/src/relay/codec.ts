// Encodes and checks what crosses a relay. Part-level (decodeRequest/decodeReply/decodeEvent) for a
// transport with an envelope of its own (the cluster bus, rtcd's msgpack frames); whole frames
// (encode*/decodeFrame) for one without (the media workers' IPC). Nothing that arrives is trusted:
// anything malformed comes back as a `bad` result or an AppError, never as a throw of something else.
import {z} from 'zod';
import {AppError} from '../errors';
import {
  describeIssue,
  toWire,
  toWireError,
  wireError,
  type EventArgs,
  type EventSchemas,
  type OpMap,
  type Protocol,
  type RelayEvent,
  type ReplyOf,
  type RequestOf,
  type WireError,
} from './protocol';

/** A relay frame as it is sent (JSON-serialisable). */
export type RelayFrame =
  | {k: 'call'; id: number; op: string; req: unknown}
  | {k: 'note'; op: string; req: unknown}
  | {k: 'reply'; id: number; ok: true; rep?: unknown}
  | {k: 'reply'; id: number; ok: false; err: WireError}
  | {k: 'event'; ev: string; args: unknown[]};

/** A checked frame: request and event values are typed by the protocol; a reply is checked by its caller (it knows the op). */
export type DecodedFrame<O extends OpMap, E extends EventSchemas> =
  | ({k: 'call'; id: number} & {[K in keyof O & string]: {op: K; req: RequestOf<O, K>}}[keyof O & string])
  | ({k: 'note'} & {[K in keyof O & string]: {op: K; req: RequestOf<O, K>}}[keyof O & string])
  | {k: 'reply'; id: number; ok: true; rep: unknown}
  | {k: 'reply'; id: number; ok: false; err: AppError}
  | ({k: 'event'} & {[K in keyof E & string]: {ev: K; args: EventArgs<E, K>}}[keyof E & string])
  /** Refused; `id` when it was a call that can be answered with `error`. */
  | {k: 'bad'; error: AppError; id?: number};

const frameShape = z.union([
  z.object({
    k: z.literal('call'),
    id: z.number().int().nonnegative(),
    op: z.string().max(100),
    req: z.unknown().optional(),
  }),
  z.object({k: z.literal('note'), op: z.string().max(100), req: z.unknown().optional()}),
  z.object({
    k: z.literal('reply'),
    id: z.number().int().nonnegative(),
    ok: z.literal(true),
    rep: z.unknown().optional(),
  }),
  z.object({k: z.literal('reply'), id: z.number().int().nonnegative(), ok: z.literal(false), err: wireError}),
  z.object({k: z.literal('event'), ev: z.string().max(100), args: z.array(z.unknown())}),
]);

export const badFrame = (protocol: string, why: string) =>
  new AppError('app.relay.bad_frame', `malformed ${protocol} frame: ${why}`, 400);
export const unknownOp = (protocol: string, op: string) =>
  new AppError('app.relay.unknown_op', `unknown ${protocol} operation "${op.slice(0, 100)}"`, 400);
export const badRequest = (protocol: string, op: string, why: string) =>
  new AppError('app.relay.bad_request', `invalid ${protocol} ${op} request: ${why}`, 400);
export const badReply = (protocol: string, op: string, why: string) =>
  new AppError('app.relay.bad_reply', `invalid ${protocol} ${op} reply: ${why}`, 502);
export const badEvent = (protocol: string, ev: string, why: string) =>
  new AppError('app.relay.bad_event', `invalid ${protocol} ${ev.slice(0, 100)} event: ${why}`, 400);

const own = (o: object, key: string) => Object.prototype.hasOwnProperty.call(o, key);

export class RelayCodec<O extends OpMap, E extends EventSchemas> {
  readonly protocol: Protocol<O, E>;
  /** The error id of a handler's failure that is not an AppError. */
  readonly #internalErrorID: string;

  constructor(protocol: Protocol<O, E>, internalErrorID = 'app.relay.remote_error') {
    this.protocol = protocol;
    this.#internalErrorID = internalErrorID;
  }

  isOp(op: string): op is keyof O & string {
    return own(this.protocol.ops, op);
  }

  isEvent(ev: string): ev is keyof E & string {
    return own(this.protocol.events, ev);
  }

  // ---- parts

  /** The request of `op`, checked; throws app.relay.unknown_op / bad_request. */
  decodeRequest<K extends keyof O & string>(op: K, data: unknown): RequestOf<O, K>;
  decodeRequest(op: string, data: unknown): unknown;
  decodeRequest(op: string, data: unknown): unknown {
    if (!this.isOp(op)) throw unknownOp(this.protocol.name, op);
    const r = this.protocol.ops[op].request.safeParse(data);
    if (!r.success) throw badRequest(this.protocol.name, op, describeIssue(r.error));
    return r.data;
  }

  /** The reply of `op`, checked; throws app.relay.bad_reply. */
  decodeReply<K extends keyof O & string>(op: K, data: unknown): ReplyOf<O, K> {
    const schema = this.protocol.ops[op]?.reply;
    if (!schema) throw badReply(this.protocol.name, op, 'the operation has no reply');
    const r = schema.safeParse(data);
    if (!r.success) throw badReply(this.protocol.name, op, describeIssue(r.error));
    return r.data as ReplyOf<O, K>;
  }

  /** The arguments of event `ev`, checked; throws app.relay.bad_event. */
  decodeEvent<K extends keyof E & string>(ev: K, args: unknown): EventArgs<E, K>;
  decodeEvent(ev: string, args: unknown): unknown[];
  decodeEvent(ev: string, args: unknown): unknown[] {
    if (!this.isEvent(ev)) throw badEvent(this.protocol.name, ev, 'unknown event');
    const r = this.protocol.events[ev].safeParse(args);
    if (!r.success) throw badEvent(this.protocol.name, ev, describeIssue(r.error));
    return r.data;
  }

  /** decodeEvent, as the one-object form a `switch (e.ev)` narrows. */
  decodeEventOf(ev: string, args: unknown): RelayEvent<E> {
    return {ev, args: this.decodeEvent(ev, args)} as RelayEvent<E>;
  }

  encodeRequest<K extends keyof O & string>(_op: K, req: RequestOf<O, K>): unknown {
    return toWire(req);
  }

  encodeReply<K extends keyof O & string>(_op: K, rep: ReplyOf<O, K> | void): unknown {
    return toWire(rep);
  }

  encodeEvent<K extends keyof E & string>(_ev: K, args: EventArgs<E, K>): unknown[] {
    return args.map(toWire);
  }

  /** What a failed handler answers: its AppError, or a generic one with the message (never a stack). */
  encodeError(err: unknown): WireError {
    return toWireError(err, this.#internalErrorID);
  }

  // ---- whole frames

  call<K extends keyof O & string>(id: number, op: K, req: RequestOf<O, K>): RelayFrame {
    return {k: 'call', id, op, req: this.encodeRequest(op, req)};
  }

  note<K extends keyof O & string>(op: K, req: RequestOf<O, K>): RelayFrame {
    return {k: 'note', op, req: this.encodeRequest(op, req)};
  }

  reply<K extends keyof O & string>(id: number, op: K, rep: ReplyOf<O, K> | void): RelayFrame {
    return {k: 'reply', id, ok: true, rep: this.encodeReply(op, rep)};
  }

  error(id: number, err: unknown): RelayFrame {
    return {k: 'reply', id, ok: false, err: this.encodeError(err)};
  }

  event<K extends keyof E & string>(ev: K, args: EventArgs<E, K>): RelayFrame {
    return {k: 'event', ev, args: this.encodeEvent(ev, args)};
  }

  /** Checks a frame from the other side. Never throws. */
  decodeFrame(raw: unknown): DecodedFrame<O, E> {
    const name = this.protocol.name;
    const shape = frameShape.safeParse(raw);
    if (!shape.success) {
      const id =
        typeof raw === 'object' && raw !== null && (raw as {k?: unknown}).k === 'call'
          ? (raw as {id?: unknown}).id
          : undefined;
      return {
        k: 'bad',
        error: badFrame(name, describeIssue(shape.error)),
        id: Number.isSafeInteger(id) && (id as number) >= 0 ? (id as number) : undefined,
      };
    }
    const f = shape.data;
    try {
      switch (f.k) {
        case 'call':
          return {k: 'call', id: f.id, op: f.op, req: this.decodeRequest(f.op, f.req)} as DecodedFrame<O, E>;
        case 'note':
          return {k: 'note', op: f.op, req: this.decodeRequest(f.op, f.req)} as DecodedFrame<O, E>;
        case 'event':
          return {k: 'event', ev: f.ev, args: this.decodeEvent(f.ev, f.args)} as DecodedFrame<O, E>;
        case 'reply':
          return f.ok
            ? {k: 'reply', id: f.id, ok: true, rep: f.rep}
            : {k: 'reply', id: f.id, ok: false, err: new AppError(f.err.id, f.err.message, f.err.status)};
      }
    } catch (err) {
      return {k: 'bad', error: err as AppError, id: f.k === 'call' ? f.id : undefined};
    }
  }
}
