// The calling side of a relay: typed calls with a reply timeout, one-way notes, and typed events, over
// any transport that moves frames (`post` out, `receive` in). A frame that fails its check is dropped
// and reported; a reply that fails its check rejects its call (app.relay.bad_reply).
import {AppError} from '../errors';
import {RelayCodec, type RelayFrame} from './codec';
import type {CallOps, EventSchemas, NotifyOps, OpMap, Protocol, RelayEvent, ReplyOf, RequestOf} from './protocol';

export interface RelayClientOptions<O extends OpMap, E extends EventSchemas> {
  protocol: Protocol<O, E>;
  post: (frame: RelayFrame) => void;
  timeoutMs: number;
  /** The error of a call that got no reply in time (default app.relay.timeout). */
  timeoutError?: (op: string) => AppError;
  onEvent: (event: RelayEvent<E>) => void;
  /** A frame was refused (logged by the owner; the other side may be hostile). */
  onInvalid?: (error: AppError) => void;
}

interface Pending {
  op: string;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class RelayClient<O extends OpMap, E extends EventSchemas> {
  readonly codec: RelayCodec<O, E>;
  readonly #o: RelayClientOptions<O, E>;
  readonly #pending = new Map<number, Pending>();
  #nextID = 1;

  constructor(opts: RelayClientOptions<O, E>) {
    this.#o = opts;
    this.codec = new RelayCodec(opts.protocol);
  }

  get pending(): number {
    return this.#pending.size;
  }

  call<K extends CallOps<O>>(op: K, req: RequestOf<O, K>, timeoutMs = this.#o.timeoutMs): Promise<ReplyOf<O, K>> {
    const id = this.#nextID++;
    return new Promise<ReplyOf<O, K>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(
          this.#o.timeoutError?.(op) ??
            new AppError('app.relay.timeout', `${this.#o.protocol.name} did not answer ${op}`, 504),
        );
      }, timeoutMs);
      this.#pending.set(id, {op, resolve: resolve as (v: unknown) => void, reject, timer});
      this.#o.post(this.codec.call(id, op, req));
    });
  }

  notify<K extends NotifyOps<O>>(op: K, req: RequestOf<O, K>): void {
    this.#o.post(this.codec.note(op, req));
  }

  /** A frame from the other side. */
  receive(raw: unknown): void {
    const f = this.codec.decodeFrame(raw);
    switch (f.k) {
      case 'reply': {
        const p = this.#pending.get(f.id);
        if (!p) return; // timed out meanwhile
        this.#pending.delete(f.id);
        clearTimeout(p.timer);
        if (!f.ok) {
          p.reject(f.err);
          return;
        }
        try {
          p.resolve(this.codec.decodeReply(p.op, f.rep));
        } catch (err) {
          p.reject(err as AppError);
        }
        return;
      }
      case 'event':
        this.#o.onEvent(f);
        return;
      case 'bad':
        this.#o.onInvalid?.(f.error);
        return;
      default:
        // Calls and notes go the other way.
        this.#o.onInvalid?.(
          new AppError('app.relay.bad_frame', `unexpected ${f.k} frame from ${this.#o.protocol.name}`, 400),
        );
    }
  }

  /** The other side is gone: every pending call fails with `err`. */
  failAll(err: AppError): void {
    for (const p of this.#pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.#pending.clear();
  }
}
