// Schemas of every calls websocket action (reference §1.2). The websocket layer hands us `data`
// untrusted; each action is parsed here and anything that does not fit is refused with an id.
import {z} from 'zod';
import {badRequest, type AppError} from '../errors';
import {hasUnstorableText, UNSTORABLE_TEXT} from '../unstorable';

const id = z.string().regex(/^[a-z0-9]{26}$/, 'must be a 26-character id');
/** Connection ids are ours (26-char ids), but accept any short token a client might echo back. */
const connID = z.string().min(1).max(64);
const jsonString = z.string().max(16 * 1024);

export const joinSchema = z.object({
  channelID: id,
  title: z.string().max(256).optional(),
  threadID: z.union([id, z.literal('')]).optional(),
  jobID: z.string().max(64).optional(),
  av1Support: z.boolean().optional(),
  dcSignaling: z.boolean().optional(),
});

export const reconnectSchema = z.object({channelID: id, originalConnID: connID, prevConnID: connID});

export const sdpSchema = z.object({data: z.instanceof(Uint8Array, {message: 'must be binary (msgpack bin of zlib-compressed JSON)'})});

export const stringDataSchema = z.object({data: jsonString});

export const callStateSchema = z.object({channelID: id});

export const metricSchema = z.object({metric_name: z.string().max(128), data: jsonString.optional()});

export const captionSchema = z.object({session_id: connID, text: z.string().max(4096), new_audio_len_ms: z.number()});

export const iceCandidateSchema = z.object({
  candidate: z.string().max(1024),
  sdpMid: z.string().max(64).nullable().optional(),
  sdpMLineIndex: z.number().int().min(0).max(1024).nullable().optional(),
  usernameFragment: z.string().max(256).nullable().optional(),
});

export const sessionDescriptionSchema = z.object({
  type: z.enum(['offer', 'answer', 'pranswer', 'rollback']),
  sdp: z.string().max(64 * 1024),
});

export const screenOnSchema = z.object({screenStreamID: z.string().min(1).max(256)});
export const videoOnSchema = z.object({videoStreamID: z.string().min(1).max(256)});
export const reactionSchema = z.object({
  name: z.string().min(1).max(64),
  unified: z.string().max(128).optional().default(''),
  skin: z.string().max(32).optional().default(''),
  literal: z.string().max(64).optional().default(''),
});

export const iceCandidatePairSchema = z.object({
  state: z.enum(['succeeded', 'waiting', 'in-progress', 'froze', 'failed']),
  local: z.object({type: z.enum(['host', 'srflx', 'prflx', 'relay']), protocol: z.enum(['udp', 'tcp'])}),
  remote: z.object({type: z.enum(['host', 'srflx', 'prflx', 'relay']), protocol: z.enum(['udp', 'tcp'])}),
});

/** The allow-list of action suffixes (server/client_message.go validClientMessageTypes). */
export const CALLS_ACTIONS = new Set([
  'join', 'leave', 'reconnect', 'sdp', 'ice', 'mute', 'unmute', 'voice_on', 'voice_off', 'screen_on', 'screen_off',
  'video_on', 'video_off', 'raise_hand', 'unraise_hand', 'react', 'caption', 'metric', 'call_state', 'ping',
]);

function describe(err: z.ZodError): string {
  const issue = err.issues[0];
  const path = issue?.path.join('.') || 'data';
  return `${path}: ${issue?.message ?? 'invalid'}`;
}

/** Parses with the schema or throws a 400 AppError naming the action and the field. */
export function parseAction<T extends z.ZodTypeAny>(action: string, schema: T, data: unknown): z.infer<T> {
  const res = schema.safeParse(data ?? {});
  if (!res.success) throw badRequest(`app.calls.ws.invalid_${action}`, `invalid ${action} message: ${describe(res.error)}`);
  return res.data;
}

/** Parses a JSON string field, then validates the result. */
export function parseJsonField<T extends z.ZodTypeAny>(action: string, schema: T, raw: string): z.infer<T> {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    const e: AppError = badRequest(`app.calls.ws.invalid_${action}`, `invalid ${action} message: data is not valid JSON`);
    throw e;
  }
  // The frame was checked (ws/server.ts), but not what this JSON text unescapes to.
  if (hasUnstorableText(value)) throw badRequest(`app.calls.ws.invalid_${action}`, `invalid ${action} message: data contains ${UNSTORABLE_TEXT}`);
  return parseAction(action, schema, value);
}
