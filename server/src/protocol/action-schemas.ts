// The zod schema of each client → server websocket action's `data` (reference calls-protocol.md §1.2), and of the
// JSON some of them carry as a string. The server parses with these (calls/actions.ts turns a failure into an
// error id); clients build their messages to the same shapes (the types at the end).
import {z} from 'zod';

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

/** `data` is packed SDP (sdp.ts), sent as msgpack bin. */
export const sdpSchema = z.object({
  data: z.instanceof(Uint8Array, {message: 'must be binary (msgpack bin of zlib-compressed JSON)'}),
});

/** Actions whose `data` is a JSON string (ice, screen_on, video_on, react). */
export const stringDataSchema = z.object({data: jsonString});

export const callStateSchema = z.object({channelID: id});

export const metricSchema = z.object({metric_name: z.string().max(128), data: jsonString.optional()});

export const captionSchema = z.object({session_id: connID, text: z.string().max(4096), new_audio_len_ms: z.number()});

/** The JSON inside `ice`'s data: the browser's RTCIceCandidate. */
export const iceCandidateSchema = z.object({
  candidate: z.string().max(1024),
  sdpMid: z.string().max(64).nullable().optional(),
  sdpMLineIndex: z.number().int().min(0).max(1024).nullable().optional(),
  usernameFragment: z.string().max(256).nullable().optional(),
});

/** The JSON inside packed SDP. */
export const sessionDescriptionSchema = z.object({
  type: z.enum(['offer', 'answer', 'pranswer', 'rollback']),
  sdp: z.string().max(64 * 1024),
});

/** The JSON inside `screen_on`'s data. */
export const screenOnSchema = z.object({screenStreamID: z.string().min(1).max(256)});
/** The JSON inside `video_on`'s data. */
export const videoOnSchema = z.object({videoStreamID: z.string().min(1).max(256)});
/** The JSON inside `react`'s data. */
export const reactionSchema = z.object({
  name: z.string().min(1).max(64),
  unified: z.string().max(128).optional().default(''),
  skin: z.string().max(32).optional().default(''),
  literal: z.string().max(64).optional().default(''),
});

/** The JSON inside `metric`'s data for client_ice_candidate_pair. */
export const iceCandidatePairSchema = z.object({
  state: z.enum(['succeeded', 'waiting', 'in-progress', 'froze', 'failed']),
  local: z.object({type: z.enum(['host', 'srflx', 'prflx', 'relay']), protocol: z.enum(['udp', 'tcp'])}),
  remote: z.object({type: z.enum(['host', 'srflx', 'prflx', 'relay']), protocol: z.enum(['udp', 'tcp'])}),
});

export type JoinData = z.input<typeof joinSchema>;
export type ReconnectData = z.input<typeof reconnectSchema>;
export type CallStateData = z.input<typeof callStateSchema>;
export type ScreenOnData = z.input<typeof screenOnSchema>;
export type VideoOnData = z.input<typeof videoOnSchema>;
export type ReactionData = z.input<typeof reactionSchema>;
