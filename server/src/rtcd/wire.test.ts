// Golden frames written byte by byte from the reference (rtcd-offloader.md §2: two back-to-back
// msgpack values; rtc.Message as Go's msgpack writes the struct), in both directions, and the
// frames a hostile peer could send.
import {decodeClientMessage, encodeClientMessage, jsonBytes, parseJsonBytes, RtcMsgType, WireError} from './wire';

// Hand-written msgpack, independent of the library under test.
const str = (s: string) => {
  const b = Buffer.from(s, 'utf8');
  if (b.length < 32) return Buffer.concat([Buffer.from([0xa0 | b.length]), b]);
  return Buffer.concat([Buffer.from([0xd9, b.length]), b]);
};
const bin = (b: Buffer) => Buffer.concat([Buffer.from([0xc4, b.length]), b]);
const fixmap = (n: number) => Buffer.from([0x80 | n]);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test('leave, reconnect and close: the type string, then a map of strings', () => {
  const golden = Buffer.concat([str('leave'), fixmap(1), str('sessionID'), str('s1')]);
  expect(hex(encodeClientMessage({type: 'leave', data: {sessionID: 's1'}}))).toBe(hex(golden));
  expect(decodeClientMessage(golden)).toEqual({type: 'leave', data: {sessionID: 's1'}});
  const close = Buffer.concat([str('close'), fixmap(1), str('sessionID'), str('abc')]);
  expect(decodeClientMessage(close)).toEqual({type: 'close', data: {sessionID: 'abc'}});
});

test('hello: Go writes its map in any order', () => {
  const golden = Buffer.concat([
    str('hello'),
    fixmap(2),
    str('connID'),
    str('c'.repeat(26)),
    str('clientID'),
    str('inst'),
  ]);
  expect(decodeClientMessage(golden)).toEqual({type: 'hello', data: {clientID: 'inst', connID: 'c'.repeat(26)}});
});

test('join: strings and bools', () => {
  const golden = Buffer.concat([
    str('join'),
    fixmap(6),
    str('callID'),
    str('call1'),
    str('userID'),
    str('user1'),
    str('sessionID'),
    str('sess1'),
    str('channelID'),
    str('chan1'),
    str('av1Support'),
    Buffer.from([0xc3]),
    str('dcSignaling'),
    Buffer.from([0xc2]),
  ]);
  const msg = {
    type: 'join',
    data: {
      callID: 'call1',
      userID: 'user1',
      sessionID: 'sess1',
      channelID: 'chan1',
      av1Support: true,
      dcSignaling: false,
    },
  } as const;
  expect(hex(encodeClientMessage(msg))).toBe(hex(golden));
  expect(decodeClientMessage(golden)).toEqual(msg);
});

test('rtc: the struct with its fields in Go order, type as a compact int, data as bin', () => {
  const sdp = Buffer.from(JSON.stringify({type: 'offer', sdp: 'v=0\r\n'}));
  const golden = Buffer.concat([
    str('rtc'),
    fixmap(6),
    str('group_id'),
    str(''),
    str('user_id'),
    str(''),
    str('session_id'),
    str('abc'),
    str('call_id'),
    str(''),
    str('type'),
    Buffer.from([0x02]),
    str('data'),
    bin(sdp),
  ]);
  const msg = {
    type: 'rtc',
    data: {group_id: '', user_id: '', session_id: 'abc', call_id: '', type: RtcMsgType.SDP, data: new Uint8Array(sdp)},
  } as const;
  expect(hex(encodeClientMessage(msg))).toBe(hex(golden));
  const back = decodeClientMessage(golden);
  expect(back.type).toBe('rtc');
  expect(parseJsonBytes((back.data as {data: Uint8Array}).data)).toEqual({type: 'offer', sdp: 'v=0\r\n'});
});

test('vad from rtcd: no data field, type written as uint8 (0xcc) is read the same', () => {
  const golden = Buffer.concat([
    str('vad'),
    fixmap(5),
    str('group_id'),
    str('g'),
    str('user_id'),
    str('u'),
    str('session_id'),
    str('s'),
    str('call_id'),
    str('c'),
    str('type'),
    Buffer.from([0xcc, 0x07]),
  ]);
  expect(decodeClientMessage(golden)).toEqual({
    type: 'vad',
    data: {group_id: 'g', user_id: 'u', session_id: 's', call_id: 'c', type: RtcMsgType.VoiceOn, data: undefined},
  });
  expect(
    hex(
      encodeClientMessage({
        type: 'vad',
        data: {group_id: 'g', user_id: 'u', session_id: 's', call_id: 'c', type: RtcMsgType.VoiceOn},
      }),
    ),
  ).toBe(hex(Buffer.concat([golden.subarray(0, golden.length - 2), Buffer.from([0x07])])));
});

test.each([
  ['empty frame', Buffer.alloc(0)],
  ['not msgpack', Buffer.from([0xc1])],
  ['one value only', Buffer.from(str('leave'))],
  ['three values', Buffer.concat([str('leave'), fixmap(1), str('sessionID'), str('s'), str('x')])],
  ['a number as type', Buffer.concat([Buffer.from([0x01]), fixmap(0)])],
  ['unknown type', Buffer.concat([str('bogus'), fixmap(0)])],
  ['leave with a bool', Buffer.concat([str('leave'), fixmap(1), str('sessionID'), Buffer.from([0xc3])])],
  ['leave without a session', Buffer.concat([str('leave'), fixmap(0)])],
  ['join without a call', Buffer.concat([str('join'), fixmap(1), str('userID'), str('u')])],
  ['join with a nested map', Buffer.concat([str('join'), fixmap(1), str('callID'), fixmap(0)])],
  [
    'rtc with type 0',
    Buffer.concat([str('rtc'), fixmap(2), str('session_id'), str('s'), str('type'), Buffer.from([0x00])]),
  ],
  [
    'rtc with type 11',
    Buffer.concat([str('rtc'), fixmap(2), str('session_id'), str('s'), str('type'), Buffer.from([0x0b])]),
  ],
  ['rtc without a session', Buffer.concat([str('rtc'), fixmap(1), str('type'), Buffer.from([0x02])])],
  [
    'rtc with string data',
    Buffer.concat([
      str('rtc'),
      fixmap(3),
      str('session_id'),
      str('s'),
      str('type'),
      Buffer.from([0x02]),
      str('data'),
      str('x'),
    ]),
  ],
  ['data that is an array', Buffer.concat([str('leave'), Buffer.from([0x91, 0x01])])],
  ['a __proto__ key', Buffer.concat([str('join'), fixmap(1), str('__proto__'), fixmap(0)])],
  ['an id that is too long', Buffer.concat([str('leave'), fixmap(1), str('sessionID'), str('x'.repeat(200))])],
])('refuses %s with a WireError', (_name, frame) => {
  expect(() => decodeClientMessage(frame)).toThrow(WireError);
});

test('JSON in data: written as UTF-8, refused when it is not JSON', () => {
  expect(parseJsonBytes(jsonBytes({a: 1}))).toEqual({a: 1});
  expect(parseJsonBytes(undefined)).toBeUndefined();
  expect(() => parseJsonBytes(Buffer.from('{nope'))).toThrow(WireError);
  expect(() => parseJsonBytes(Buffer.from([0xff, 0xfe]))).toThrow(WireError);
});
