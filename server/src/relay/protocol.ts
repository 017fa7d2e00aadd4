// The shape of a relay: each remote operation's name, request and reply schemas (reply `null`: a one-way
// notification), and each event's argument tuple. One zod schema per value gives both the TypeScript
// types and the check of what arrives from the other side (a worker, another node, an rtcd peer).
import {z} from 'zod';
import {AppError} from '../errors';

export interface OpSpec {
  request: z.ZodType;
  /** `null`: a one-way operation (no reply, no error back). */
  reply: z.ZodType | null;
}

export type OpMap = Record<string, OpSpec>;
export type EventSchemas = Record<string, z.ZodType<unknown[]>>;

export interface Protocol<O extends OpMap, E extends EventSchemas> {
  /** For logs and error messages. */
  readonly name: string;
  readonly ops: O;
  readonly events: E;
}

/** Declares a protocol (the types are inferred from the schemas). */
export function defineProtocol<O extends OpMap, E extends EventSchemas>(p: Protocol<O, E>): Protocol<O, E> {
  return p;
}

/**
 * For a transport where ops and events share one namespace of message types (the cluster bus): no name
 * may be both, nor one the transport keeps for itself.
 */
export function checkSharedNamespace(p: Protocol<OpMap, EventSchemas>, reserved: readonly string[]): void {
  for (const name of [...Object.keys(p.ops), ...Object.keys(p.events)]) {
    if (reserved.includes(name)) throw new Error(`relay ${p.name}: "${name}" is reserved by its transport`);
  }
  for (const name of Object.keys(p.ops)) {
    if (Object.prototype.hasOwnProperty.call(p.events, name))
      throw new Error(`relay ${p.name}: "${name}" is both an operation and an event`);
  }
}

export type RequestOf<O extends OpMap, K extends keyof O> = z.output<O[K]['request']>;
export type ReplyOf<O extends OpMap, K extends keyof O> = O[K]['reply'] extends z.ZodType
  ? z.output<O[K]['reply']>
  : undefined;
/** Operations with a reply. */
export type CallOps<O extends OpMap> = {[K in keyof O]: O[K]['reply'] extends z.ZodType ? K : never}[keyof O] & string;
/** One-way operations. */
export type NotifyOps<O extends OpMap> = {[K in keyof O]: O[K]['reply'] extends null ? K : never}[keyof O] & string;
export type EventArgs<E extends EventSchemas, K extends keyof E> = z.output<E[K]>;
/** One event as it arrived: `switch (e.ev)` narrows `e.args`. */
export type RelayEvent<E extends EventSchemas> = {[K in keyof E & string]: {ev: K; args: EventArgs<E, K>}}[keyof E &
  string];

type Result<R> = undefined extends R ? R | void : R;
/** The server side: one handler per operation. */
export type Handlers<O extends OpMap, Ctx = undefined> = {
  [K in keyof O]: (req: RequestOf<O, K>, ctx: Ctx) => Result<ReplyOf<O, K>> | Promise<Result<ReplyOf<O, K>>>;
};

// ---- shared value schemas

/**
 * Free text (a reason, an error message) that may quote a client's input: a long one is shortened, never
 * refused. Refusing it would drop the event carrying it, and a lost `close` leaves a session nobody ends.
 */
export function text(max: number) {
  return z.string().transform((s) => (s.length <= max ? s : `${s.slice(0, max - 1)}…`));
}

/** An error as it crosses a relay: the AppError's stable id, message and status, nothing else (no stack, no details). */
export interface WireError {
  id: string;
  message: string;
  status: number;
}

const wireErrorShape = z.object({
  id: z.string().min(1).max(200),
  message: text(2000),
  status: z.number().int().min(100).max(599),
});
export const wireError: z.ZodType<WireError> = wireErrorShape;

/** An AppError on the wire: decoded into an AppError (encode with toWire). */
export const appError = wireErrorShape.transform((e) => new AppError(e.id, e.message, e.status));

/** No value: a reply of `undefined` (IPC drops it) or `null` (the cluster bus's empty reply). */
export const none = z.union([z.undefined(), z.null()]).transform((): undefined => undefined);

export function toWireError(err: unknown, fallbackID: string): WireError {
  if (err instanceof AppError) return {id: err.id, message: err.message, status: err.status};
  return {id: fallbackID, message: err instanceof Error ? err.message : String(err), status: 500};
}

/** A value as it is sent: an AppError becomes its WireError (the schemas turn it back). */
export function toWire(v: unknown): unknown {
  return v instanceof AppError ? {id: v.id, message: v.message, status: v.status} : v;
}

/** The first problem zod found, short enough for a log line or an error reply. */
export function describeIssue(err: z.ZodError): string {
  const issue = err.issues[0];
  return issue ? `${issue.path.join('.') || 'value'}: ${issue.message}` : 'invalid';
}
