// The SFU's remote surface, shared by every relay to an SFU elsewhere (media workers, the cluster bus,
// rtcd): the values of RtcServer's operations and the RtcServer events, as schemas. Relays build their
// op maps from these; the rtcd client maps rtcd's join/leave/rtc/vad/close onto the same values.
import {z} from 'zod';
import {AppError} from '../errors';
import type {RtcInbound, RtcServerEvents, RtcSignal, SessionConfig, SessionOpCall, SessionSnapshot} from '../rtc/types';
import {appError, defineProtocol, none, type RelayEvent, text} from './protocol';

export const sessionID = z.string().max(128);

export const sessionConfig: z.ZodType<SessionConfig> = z.object({
  sessionID: z.string().max(128),
  userID: z.string().max(128),
  callID: z.string().max(128),
  channelID: z.string().max(128),
  av1Support: z.boolean(),
  dcSignaling: z.boolean(),
  groupID: z.string().max(128).optional(),
});

const INBOUND_TYPES: ReadonlySet<unknown> = new Set([
  'sdp',
  'ice',
  'mute',
  'unmute',
  'screen_on',
  'screen_off',
  'video_on',
  'video_off',
]);

/**
 * Only the envelope is checked here: the SFU checks the SDP, candidate or stream id itself and answers
 * a bad one with `rejected` (a stable app.rtc.* id for the client), as it does for a local caller.
 */
export const rtcInbound = z.custom<RtcInbound>(
  (v) =>
    typeof v === 'object' &&
    v !== null &&
    typeof (v as {sessionID?: unknown}).sessionID === 'string' &&
    (v as {sessionID: string}).sessionID.length <= 128 &&
    INBOUND_TYPES.has((v as {type?: unknown}).type),
  'not an rtc message',
);

export const sessionDescription = z.looseObject({
  type: z.enum(['offer', 'answer', 'pranswer', 'rollback']),
  sdp: z.string(),
});
export const iceCandidate = z.looseObject({
  candidate: z.string(),
  sdpMid: z.string().nullish(),
  sdpMLineIndex: z.number().int().nullish(),
  usernameFragment: z.string().nullish(),
});

export const rtcSignal: z.ZodType<RtcSignal> = z.discriminatedUnion('type', [
  z.object({type: z.literal('sdp'), data: sessionDescription}),
  z.object({type: z.literal('ice'), data: iceCandidate}),
]);

/**
 * The operations on one SFU session beyond its life cycle, each with its request and reply. Every relay (media
 * workers, the cluster bus, the MediaRouter) carries them as the one `sessionOp`, so adding one is an entry
 * here and its handler in the SFU (rtc/server.ts `SESSION_OP_HANDLERS`), plus whoever calls it.
 */
export const sessionOps = {
  /** A serialisable view of the session (diagnostics, tests). */
  inspect: {request: none, reply: z.custom<SessionSnapshot>((v) => typeof v === 'object' && v !== null)},
} as const satisfies Record<string, {request: z.ZodType; reply: z.ZodType}>;

export type SessionOps = typeof sessionOps;
export type SessionOpName = keyof SessionOps & string;
export type SessionOpRequest<K extends SessionOpName> = z.output<SessionOps[K]['request']>;
export type SessionOpReply<K extends SessionOpName> = z.output<SessionOps[K]['reply']>;

const sessionOpNames = Object.keys(sessionOps) as [SessionOpName, ...SessionOpName[]];

/** A session operation as it crosses a relay: a known name; its request is checked by the SFU against its own schema. */
export const sessionOpCall: z.ZodType<SessionOpCall> = z.object({
  sessionID,
  op: z.enum(sessionOpNames),
  req: z.unknown().optional(),
});

/** The request of a session operation that arrived, checked; throws app.rtc.bad_session_op (400). */
export function sessionOpRequest<K extends SessionOpName>(op: K, req: unknown): SessionOpRequest<K> {
  const spec = (sessionOps as Record<string, {request: z.ZodType} | undefined>)[op];
  const r = spec?.request.safeParse(req);
  if (!r?.success) throw new AppError('app.rtc.bad_session_op', `invalid session operation ${op}`, 400);
  return r.data as SessionOpRequest<K>;
}

/** Runs a session operation on any RtcServer or MediaRouter-like target, its reply checked against the op's schema. */
export async function callSessionOp<K extends SessionOpName>(
  target: {sessionOp(call: SessionOpCall): Promise<unknown>},
  sessionID: string,
  op: K,
  req: SessionOpRequest<K>,
): Promise<SessionOpReply<K>> {
  const reply = sessionOps[op].reply.safeParse(await target.sessionOp({sessionID, op, req}));
  if (!reply.success) throw new AppError('app.relay.bad_reply', `invalid ${op} reply`, 502);
  return reply.data as SessionOpReply<K>;
}

/** RtcServer's operations. */
export const sfuOps = {
  initSession: {request: sessionConfig, reply: none},
  send: {request: rtcInbound, reply: null},
  closeSession: {request: sessionID, reply: none},
  sessionOp: {request: sessionOpCall, reply: z.unknown()},
} as const;

/** RtcServerEvents, argument by argument. */
export const sfuEvents = {
  signal: z.tuple([sessionID, rtcSignal]),
  voice: z.tuple([sessionID, z.boolean()]),
  close: z.tuple([sessionID, text(1000)]),
  rejected: z.tuple([sessionID, appError, z.boolean()]),
  restart: z.tuple([sessionID, text(1000)]),
};

/** One RtcServer event as it arrived over a relay. */
export type SfuEvent = RelayEvent<typeof sfuEvents>;

/** An RtcServer's own emit (it is protected: the server passes it in), one overload per SFU event. */
export interface EmitSfuEvent {
  (event: 'signal', ...args: RtcServerEvents['signal']): unknown;
  (event: 'voice', ...args: RtcServerEvents['voice']): unknown;
  (event: 'close', ...args: RtcServerEvents['close']): unknown;
  (event: 'rejected', ...args: RtcServerEvents['rejected']): unknown;
  (event: 'restart', ...args: RtcServerEvents['restart']): unknown;
}

/** Emits an SFU event that came over a relay on the local RtcServer standing for the remote one. */
export function emitSfuEvent(emit: EmitSfuEvent, e: SfuEvent): void {
  // The codec checked e.args against e.ev's schema; TypeScript cannot pair a union's members with an overload.
  (emit as (event: SfuEvent['ev'], ...args: SfuEvent['args']) => unknown)(e.ev, ...e.args);
}

/** The plain SFU relay (an RtcServer served elsewhere, nothing more). */
export const sfuRelay = defineProtocol({name: 'sfu', ops: sfuOps, events: sfuEvents});
