// The serving side of a relay: checks each frame, runs the operation's handler and posts its reply or
// error; posts typed events. A malformed frame never reaches a handler: a call is answered with the
// refusal (app.relay.*), anything else is dropped and reported.
import {AppError} from '../errors';
import {RelayCodec, type RelayFrame} from './codec';
import type {EventArgs, EventSchemas, Handlers, OpMap, Protocol, ReplyOf, RequestOf} from './protocol';

export interface RelayDispatcherOptions<O extends OpMap, E extends EventSchemas> {
  protocol: Protocol<O, E>;
  handlers: Handlers<O>;
  /** `op`: the operation a reply answers (a transport may act once it is sent). */
  post: (frame: RelayFrame, op?: keyof O & string) => void;
  /** The id of a handler's failure that is not an AppError. */
  internalErrorID?: string;
  onInvalid?: (error: AppError) => void;
  /** A one-way operation's handler failed (nobody to answer). */
  onNoteError?: (op: string, err: unknown) => void;
}

export class RelayDispatcher<O extends OpMap, E extends EventSchemas> {
  readonly codec: RelayCodec<O, E>;
  readonly #o: RelayDispatcherOptions<O, E>;

  constructor(opts: RelayDispatcherOptions<O, E>) {
    this.#o = opts;
    this.codec = new RelayCodec(opts.protocol, opts.internalErrorID);
  }

  /** A frame from the other side; resolves once its reply (if any) was posted. Never rejects. */
  async receive(raw: unknown): Promise<void> {
    const f = this.codec.decodeFrame(raw);
    switch (f.k) {
      case 'call': {
        const {id, op} = f;
        let out: RelayFrame;
        try {
          out = this.codec.reply(id, op, await this.#run(op, f.req));
        } catch (err) {
          out = this.codec.error(id, err);
        }
        this.#o.post(out, op);
        return;
      }
      case 'note':
        try {
          await this.#run(f.op, f.req);
        } catch (err) {
          this.#o.onNoteError?.(f.op, err);
        }
        return;
      case 'bad':
        this.#o.onInvalid?.(f.error);
        if (f.id !== undefined) this.#o.post(this.codec.error(f.id, f.error));
        return;
      default:
        // Replies and events go the other way.
        this.#o.onInvalid?.(
          new AppError('app.relay.bad_frame', `unexpected ${f.k} frame for ${this.#o.protocol.name}`, 400),
        );
    }
  }

  emit<K extends keyof E & string>(ev: K, ...args: EventArgs<E, K>): void {
    this.#o.post(this.codec.event(ev, args));
  }

  #run<K extends keyof O & string>(op: K, req: RequestOf<O, K>): Promise<ReplyOf<O, K> | void> {
    return Promise.resolve(this.#o.handlers[op](req, undefined));
  }
}

/** Handlers that call the same-named method of `target` with the request (an RtcServer-like object). */
export function forwardTo<O extends OpMap, T extends {[K in keyof O]: (req: RequestOf<O, K>) => unknown}>(
  protocol: Protocol<O, EventSchemas>,
  target: T,
): Handlers<O> {
  const out: Record<string, (req: unknown) => unknown> = {};
  for (const op of Object.keys(protocol.ops))
    out[op] = (req) => (target[op] as (r: unknown) => unknown).call(target, req);
  return out as Handlers<O>;
}

/** Posts every event of `events` that `emitter` emits. */
export function relayEvents<E extends EventSchemas>(
  emitter: {on(event: keyof E & string, listener: (...args: unknown[]) => void): unknown},
  events: E,
  emit: <K extends keyof E & string>(ev: K, args: EventArgs<E, K>) => void,
): void {
  for (const ev of Object.keys(events) as (keyof E & string)[]) {
    // The receiving side checks the arguments against the schema.
    emitter.on(ev, (...args) => emit(ev, args as EventArgs<E, typeof ev>));
  }
}

/** Handlers that refuse every operation with `error` (a server that is not up yet). */
export function refuseAll<O extends OpMap>(protocol: Protocol<O, EventSchemas>, error: () => Error): Handlers<O> {
  const out: Record<string, () => never> = {};
  for (const op of Object.keys(protocol.ops)) {
    out[op] = () => {
      throw error();
    };
  }
  return out as Handlers<O>;
}
