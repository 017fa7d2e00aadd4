// Parsing of calls websocket actions (reference §1.2) with the protocol's schemas. The websocket layer hands us
// `data` untrusted; each action is parsed here and anything that does not fit is refused with an id.
import type {z} from 'zod';
import {badRequest, type AppError} from '../errors';
import {SDP_MAX_SIZE, SdpUnpackError, unpackSDPText} from '../protocol';
import {hasUnstorableText, UNSTORABLE_TEXT} from '../unstorable';
import {nodeZlib} from '../protocol-node';

// The schemas and names, for the call sites that read them as A.<schema>.
export * from '../protocol/actions';
export * from '../protocol/action-schemas';

function describe(err: z.ZodError): string {
  const issue = err.issues[0];
  const path = issue?.path.join('.') || 'data';
  return `${path}: ${issue?.message ?? 'invalid'}`;
}

/** Parses with the schema or throws a 400 AppError naming the action and the field. */
export function parseAction<T extends z.ZodTypeAny>(action: string, schema: T, data: unknown): z.infer<T> {
  const res = schema.safeParse(data ?? {});
  if (!res.success)
    throw badRequest(`app.calls.ws.invalid_${action}`, `invalid ${action} message: ${describe(res.error)}`);
  return res.data;
}

/** Parses a JSON string field, then validates the result. */
export function parseJsonField<T extends z.ZodTypeAny>(action: string, schema: T, raw: string): z.infer<T> {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    const e: AppError = badRequest(
      `app.calls.ws.invalid_${action}`,
      `invalid ${action} message: data is not valid JSON`,
    );
    throw e;
  }
  // The frame was checked (ws/server.ts), but not what this JSON text unescapes to.
  if (hasUnstorableText(value))
    throw badRequest(`app.calls.ws.invalid_${action}`, `invalid ${action} message: data contains ${UNSTORABLE_TEXT}`);
  return parseAction(action, schema, value);
}

/** The JSON text of an `sdp` action's packed SDP; a 400 AppError when it is not zlib or inflates past 64 KiB. */
export function unpackSDPData(data: Uint8Array): string {
  try {
    return unpackSDPText(data, nodeZlib, SDP_MAX_SIZE);
  } catch (err) {
    const tooBig = err instanceof SdpUnpackError && err.reason === 'too_large';
    throw badRequest(
      'app.calls.ws.invalid_sdp',
      tooBig
        ? `invalid sdp message: decompressed data exceeds ${SDP_MAX_SIZE} bytes`
        : 'invalid sdp message: data is not zlib-compressed',
    );
  }
}
