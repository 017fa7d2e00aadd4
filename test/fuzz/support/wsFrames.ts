// Hostile websocket frames for /api/v4/websocket (reference §1): calls actions whose data is wrong in
// every field (or right, so that state really changes), sdp with mutated SDP and zlib bombs, frames
// that are not JSON or not msgpack, wrong envelope types, deep nesting, unknown actions, core
// Mattermost actions, and authentication_challenge abuse.
import {deflateSync} from 'node:zlib';
import {encode as msgpackEncode} from '@msgpack/msgpack';
import {CALLS_ACTION_NAMES, CALLS_PREFIX} from '@calls/protocol';
import type {Rng} from './rng';
import {hostileSdpBytes, mutateSdp} from './sdp';
import * as values from './values';

export const CALLS = CALLS_PREFIX;

export const CALLS_ACTIONS = CALLS_ACTION_NAMES;

export interface FrameContext extends values.ValueContext {
  /** A real werift offer (mutated for sdp) and its candidate lines (mutated for ice). */
  offer: string;
  candidates: readonly string[];
  /** The channel whose call this socket is in (or would join). */
  channelID: string;
  /** Channels the socket's user may or may not belong to. */
  channels: readonly string[];
  /** Connection ids of other users (reconnect/resume targets). */
  foreignConnIDs: readonly string[];
  /** Tokens of other users (authentication_challenge on a socket already logged in). */
  tokens: readonly string[];
  /** This socket's own connection id. */
  connID: string;
}

export interface WireFrame {
  data: string | Buffer;
  binary: boolean;
  /** What the frame is, for the summary and the failure report. */
  kind: string;
}

const text = (kind: string, data: string): WireFrame => ({data, binary: false, kind});
const binary = (kind: string, data: Buffer | Uint8Array): WireFrame => ({data: Buffer.from(data), binary: true, kind});

function seq(rng: Rng): unknown {
  return rng.chance(0.85) ? rng.range(1, 100_000) : values.hostileValue(rng, {ids: []});
}

/** The data an official client would send for the action (so state really changes), before any mutation. */
export function validData(rng: Rng, ctx: FrameContext, action: string): Record<string, unknown> {
  switch (action) {
    case 'join':
      return {
        channelID: ctx.channelID,
        ...(rng.chance(0.3) ? {title: values.scrub(values.hostileString(rng, ctx, 300))} : {}),
        av1Support: rng.chance(0.5),
        dcSignaling: rng.chance(0.5),
      };
    case 'reconnect':
      return {
        channelID: ctx.channelID,
        originalConnID: rng.chance(0.5) ? ctx.connID : rng.pick([...ctx.foreignConnIDs, values.randomId(rng)]),
        prevConnID: rng.pick([...ctx.foreignConnIDs, ctx.connID, values.randomId(rng)]),
      };
    case 'sdp':
      return {data: deflateSync(Buffer.from(JSON.stringify({type: 'offer', sdp: ctx.offer})))};
    case 'ice':
      return {
        data: JSON.stringify({
          candidate: rng.pick(ctx.candidates) ?? '',
          sdpMid: '0',
          sdpMLineIndex: 0,
          usernameFragment: values.randomId(rng).slice(0, 4),
        }),
      };
    case 'screen_on':
      return {data: JSON.stringify({screenStreamID: values.randomId(rng)})};
    case 'video_on':
      return {data: JSON.stringify({videoStreamID: values.randomId(rng)})};
    case 'react':
      return {data: JSON.stringify({name: rng.pick(['+1', 'smile', 'tada']), unified: '1f44d', skin: '', literal: ''})};
    case 'caption':
      return {session_id: ctx.connID, text: 'hello', new_audio_len_ms: 1000};
    case 'metric':
      return {
        metric_name: 'client_ice_candidate_pair',
        data: JSON.stringify({
          state: 'succeeded',
          local: {type: 'host', protocol: 'udp'},
          remote: {type: 'host', protocol: 'udp'},
        }),
      };
    case 'call_state':
      return {channelID: rng.chance(0.7) ? ctx.channelID : rng.pick(ctx.channels)};
    default:
      return {};
  }
}

/** A JSON string field whose content is hostile (the inner JSON of ice, react, screen_on, video_on, metric). */
function hostileInnerJSON(rng: Rng, ctx: FrameContext, action: string): string {
  const inner = validData(rng, ctx, action).data;
  const base = typeof inner === 'string' ? (JSON.parse(inner) as Record<string, unknown>) : {};
  const kind = rng.weighted([
    [5, 'mutate'],
    [1, 'deep'],
    [1, 'notjson'],
    [1, 'type'],
    [1, 'candidate'],
  ] as const);
  switch (kind) {
    case 'mutate':
      return JSON.stringify(values.mutateObject(rng, ctx, base));
    case 'deep':
      return values.deepJSON(rng, rng.range(100, 5000));
    case 'notjson':
      return values.hostileString(rng, ctx, 16_000);
    case 'type':
      return JSON.stringify(values.hostileValue(rng, ctx));
    case 'candidate': {
      // A real candidate line with one field changed (ice), or any action's inner JSON with a candidate.
      const line = rng.pick(ctx.candidates) ?? 'candidate:1 1 udp 2130706431 127.0.0.1 9 typ host';
      const parts = line.split(' ');
      parts[rng.int(parts.length)] = rng.pick([
        '',
        '-1',
        '99999999999',
        '999.999.999.999',
        '::',
        'tcp',
        'relay',
        'raddr',
        'x'.repeat(900),
        String(values.hostileNumber(rng)),
      ]);
      return JSON.stringify({
        ...base,
        candidate: values.scrub(parts.join(' ')),
        sdpMid: rng.pick(['0', '', null, 7, '99']),
        sdpMLineIndex: rng.pick([0, -1, 1e9, null, 0.5]),
      });
    }
  }
}

/** A calls action with data that is right, slightly wrong, or wrong in every way. */
export function actionFrame(rng: Rng, ctx: FrameContext): WireFrame {
  const action = rng.weighted([
    [20, 'sdp'],
    [10, 'ice'],
    [5, 'join'],
    [3, 'leave'],
    [5, 'reconnect'],
    [4, 'screen_on'],
    [3, 'screen_off'],
    [4, 'video_on'],
    [2, 'video_off'],
    [4, 'mute'],
    [4, 'unmute'],
    [3, 'raise_hand'],
    [2, 'unraise_hand'],
    [5, 'react'],
    [4, 'metric'],
    [3, 'caption'],
    [4, 'call_state'],
    [2, 'voice_on'],
    [2, 'voice_off'],
    [1, 'ping'],
    [3, '?unknown'],
  ] as const);
  const name =
    action === '?unknown'
      ? rng.pick([
          '',
          'JOIN',
          'join ',
          'sdp\u0000',
          'x'.repeat(100),
          'rtc_reconnect',
          'signal',
          'user_joined',
          '__proto__',
          'constructor',
          'toString',
          'é',
        ])
      : action;
  let data: Record<string, unknown>;
  if (action === 'sdp') {
    data = rng.weighted([
      [14, () => ({data: hostileSdpBytes(rng, ctx.offer)})],
      [2, () => ({data: deflateSync(Buffer.from(JSON.stringify({type: 'offer', sdp: ctx.offer})))})],
      [2, () => ({data: values.hostileValue(rng, ctx)})],
      [1, () => values.hostileObject(rng, ctx)],
      [1, () => ({data: deflateSync(Buffer.from(JSON.stringify({type: 'answer', sdp: mutateSdp(rng, ctx.offer)})))})],
    ] as const)();
  } else {
    const valid = validData(rng, ctx, action);
    data = rng.weighted([
      [4, () => valid],
      [
        3,
        () =>
          'data' in valid && typeof valid.data === 'string'
            ? {...valid, data: hostileInnerJSON(rng, ctx, action)}
            : values.mutateObject(rng, ctx, valid),
      ],
      [3, () => values.mutateObject(rng, ctx, valid)],
      [1, () => values.hostileObject(rng, ctx)],
    ] as const)();
  }
  const frame = {action: CALLS + name, seq: seq(rng), data};
  // SDP must be msgpack (its bytes are binary); everything else is JSON text, sometimes msgpack as well.
  const asBinary = action === 'sdp' ? rng.chance(0.9) : rng.chance(0.1);
  if (asBinary) {
    try {
      return binary(`action:${action}:msgpack`, msgpackEncode(frame));
    } catch {
      // a value msgpack cannot encode: send it as JSON instead
    }
  }
  return text(`action:${action}:json`, JSON.stringify(frame));
}

/** msgpack that a careless decoder trips on: huge declared lengths, deep nesting, ext types, odd keys. */
function hostileMsgpack(rng: Rng, ctx: FrameContext): Buffer {
  const kind = rng.weighted([
    [3, 'random'],
    [2, 'hugeLength'],
    [1, 'deep'],
    [1, 'ext'],
    [2, 'proto'],
    [2, 'wrongTypes'],
    [1, 'truncated'],
    [1, 'nonMap'],
  ] as const);
  switch (kind) {
    case 'random':
      return rng.bytes(rng.range(1, 3000));
    case 'hugeLength':
      // str32 / bin32 / array32 / map32 declaring ~4 GiB with a few bytes behind.
      return Buffer.concat([
        Buffer.from([rng.pick([0xdb, 0xc6, 0xdd, 0xdf]), 0xff, 0xff, 0xff, rng.pick([0xff, 0xf0])]),
        rng.bytes(rng.range(0, 64)),
      ]);
    case 'deep': {
      const depth = rng.range(1000, 60_000);
      return Buffer.concat([Buffer.alloc(depth, rng.pick([0x91, 0x81])), Buffer.from([0xc0])]);
    }
    case 'ext':
      // {action: <ext -1 (timestamp) with a bad length>, seq: 1, data: <fixext1 type 5>}
      return Buffer.concat([
        Buffer.from([0x83, 0xa6]),
        Buffer.from('action'),
        Buffer.from([0xc7, 0x08, 0xff]),
        rng.bytes(8),
        Buffer.from([0xa3]),
        Buffer.from('seq'),
        Buffer.from([0x01, 0xa4]),
        Buffer.from('data'),
        Buffer.from([0xd4, 0x05, 0x01]),
      ]);
    case 'proto': {
      const action = CALLS + rng.pick(['sdp', 'ice', 'join', 'react', 'screen_on']);
      // A map whose keys are __proto__ / constructor, at the top and inside data.
      const key = rng.pick(['__proto__', 'constructor', 'prototype']);
      const obj = msgpackEncode({action, seq: 1, data: {[`x${key}`]: {polluted: true, data: 'x'}}});
      const buf = Buffer.from(obj);
      const at = buf.indexOf(Buffer.from(`x${key}`));
      // Re-encode the key without the marker "x" by patching the fixstr header and dropping the byte.
      return Buffer.concat([buf.subarray(0, at - 1), Buffer.from([0xa0 | key.length]), buf.subarray(at + 1)]);
    }
    case 'wrongTypes':
      return Buffer.from(
        msgpackEncode({
          action: rng.pick([CALLS + 'sdp', 5, null, [CALLS + 'join'], new Uint8Array(3)]),
          seq: values.hostileValue(rng, ctx),
          data: rng.pick([new Uint8Array(10), [1, 2], 'data', 7, {data: [1, 2, 3]}, {data: new Map()}]),
        }),
      );
    case 'truncated': {
      const whole = Buffer.from(
        msgpackEncode({action: CALLS + 'sdp', seq: 1, data: {data: hostileSdpBytes(rng, ctx.offer)}}),
      );
      return whole.subarray(0, rng.int(whole.length));
    }
    case 'nonMap':
      return Buffer.from(
        msgpackEncode(rng.pick([null, 1, 'action', [CALLS + 'join', 1, {}], true, new Uint8Array(100)])),
      );
  }
}

/** A frame that is wrong before any action is looked at; the socket stays usable. */
export function junkFrame(rng: Rng, ctx: FrameContext): WireFrame {
  const kind = rng.weighted([
    [3, 'notJSON'],
    [2, 'truncatedJSON'],
    [2, 'nonObject'],
    [2, 'deep'],
    [3, 'badEnvelope'],
    [3, 'msgpack'],
    [2, 'binaryJSON'],
    [2, 'unknownAction'],
    [2, 'core'],
    [2, 'authChallenge'],
    [1, 'hugeString'],
    [1, 'dataDeep'],
  ] as const);
  switch (kind) {
    case 'notJSON':
      return text(
        kind,
        values.scrub(
          rng.chance(0.5) ? values.hostileString(rng, ctx, 60_000) : rng.bytes(rng.range(1, 2000)).toString('latin1'),
        ),
      );
    case 'truncatedJSON': {
      const whole = JSON.stringify({
        action: CALLS + rng.pick(CALLS_ACTIONS),
        seq: 1,
        data: validData(rng, ctx, 'react'),
      });
      return text(kind, whole.slice(0, rng.int(whole.length)));
    }
    case 'nonObject':
      return text(
        kind,
        rng.pick([
          'null',
          '[]',
          '1',
          '"join"',
          'true',
          '[{"action":"ping"}]',
          '1e999',
          '-0',
          '""',
          '{}',
          '{"action":null}',
        ]),
      );
    case 'deep':
      return text(kind, values.deepJSON(rng, rng.range(1000, 12_000)));
    case 'dataDeep': {
      const depth = rng.range(500, 10_000);
      return text(
        kind,
        `{"action":"${CALLS}${rng.pick(CALLS_ACTIONS)}","seq":1,"data":${values.deepJSON(rng, depth)}}`,
      );
    }
    case 'badEnvelope':
      return text(
        kind,
        JSON.stringify(
          rng.pick([
            {action: values.hostileValue(rng, ctx), seq: 1, data: {}},
            {
              action: CALLS + rng.pick(CALLS_ACTIONS),
              seq: values.hostileValue(rng, ctx),
              data: values.hostileValue(rng, ctx),
            },
            {action: CALLS + rng.pick(CALLS_ACTIONS), data: rng.pick(['str', 5, [1], true])},
            {action: 'x'.repeat(rng.range(100, 5000))},
            {Action: CALLS + 'join', Seq: 1, Data: {channelID: ctx.channelID}},
            {action: CALLS + 'join', seq: 1, data: {channelID: ctx.channelID}, extra: values.hostileObject(rng, ctx)},
            {__proto__: {action: CALLS + 'leave'}, seq: 1},
            {action: '', seq: 1, data: {}},
          ]),
        ),
      );
    case 'msgpack':
      return binary(kind, hostileMsgpack(rng, ctx));
    case 'binaryJSON': {
      // A JSON frame sent as a binary frame (binary frames are read as msgpack).
      const j = JSON.stringify({
        action: CALLS + rng.pick(CALLS_ACTIONS),
        seq: 1,
        data: validData(rng, ctx, rng.pick(CALLS_ACTIONS)),
      });
      return binary(kind, Buffer.from(j));
    }
    case 'unknownAction':
      return text(
        kind,
        JSON.stringify({
          action: values.scrub(
            rng.pick([
              'custom_com.mattermost.calls',
              'custom_com.mattermost.calls__join',
              'custom_other_plugin_join',
              'posted',
              'user_updated',
              'custom_',
              values.hostileString(rng, ctx, 127),
            ]),
          ),
          seq: 1,
          data: values.hostileObject(rng, ctx),
        }),
      );
    case 'core':
      return text(
        kind,
        JSON.stringify({
          action: rng.pick(['ping', 'user_typing', 'get_statuses', 'get_statuses_by_ids', 'PING']),
          seq: seq(rng),
          data: rng.chance(0.5)
            ? values.hostileObject(rng, ctx)
            : {user_ids: Array(rng.range(0, 2000)).fill(values.randomId(rng))},
        }),
      );
    case 'authChallenge':
      return text(
        kind,
        JSON.stringify({
          action: 'authentication_challenge',
          seq: seq(rng),
          data: rng.pick([
            {token: rng.chance(0.3) && ctx.tokens.length ? rng.pick(ctx.tokens) : values.hostileValue(rng, ctx)},
            {},
            {token: 'x'.repeat(rng.range(100, 60_000))},
            {token: ['a']},
            values.hostileObject(rng, ctx),
          ]),
        }),
      );
    case 'hugeString':
      return text(
        kind,
        JSON.stringify({
          action: CALLS + rng.pick(['react', 'join', 'ice', 'metric']),
          seq: 1,
          data: {data: 'é'.repeat(rng.range(10_000, 31_000)), channelID: 'x'.repeat(rng.range(1000, 20_000))},
        }),
      );
  }
}

/** A frame over the 64 KiB limit, or one that is not valid UTF-8 text: the server closes the socket. */
export function fatalFrame(rng: Rng): WireFrame {
  if (rng.chance(0.5)) {
    const size = rng.pick([64 * 1024 + 1, 100_000, 1024 * 1024, 5 * 1024 * 1024]);
    return rng.chance(0.5)
      ? text('oversized', JSON.stringify({action: CALLS + 'react', seq: 1, data: {data: 'x'.repeat(size)}}))
      : binary('oversized', Buffer.alloc(size, 0x91));
  }
  return {
    data: Buffer.concat([
      Buffer.from('{"action":"'),
      Buffer.from([0xc3, 0x28, 0xff, 0xfe, 0xed, 0xa0, 0x80]),
      Buffer.from('"}'),
    ]),
    binary: false,
    kind: 'invalidUTF8',
  };
}
