import {decode, decodeMulti, encode} from '@msgpack/msgpack';
import {unzlibSync, strFromU8} from 'fflate';

import {DCMessageType, packSDP, SDP_MAX_SIZE, SdpUnpackError, unpackSDP} from '@calls/protocol';

import {calculateMOS} from './rtc_monitor';
import {trackTypeFromID} from './rtc_peer';
import {browserZlib, compressSDP, decodeDCMessage, encodeDCMessage} from './wire';
import * as server from '../../../server/src/protocol-node';
import {hasDCSignalingLockSupport} from '../utils/version';

describe('SDP compression', () => {
  test('is zlib (with header) of the JSON description, as Go compress/zlib reads it', () => {
    const sdp = {type: 'offer' as const, sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n'};
    const z = compressSDP(sdp);
    // zlib header: CMF 0x78.
    expect(z[0]).toBe(0x78);
    expect(JSON.parse(strFromU8(unzlibSync(z)))).toEqual(sdp);
    expect(unpackSDP(z, browserZlib)).toEqual(sdp);
  });
});

describe('DC messages', () => {
  test('type then payload, concatenated without an array', () => {
    const bytes = encodeDCMessage({type: DCMessageType.Lock});
    expect([...bytes]).toEqual([7]);
    const values = [...decodeMulti(encodeDCMessage({type: DCMessageType.Jitter, value: 2}))];
    expect(values).toEqual([6, 2]);
    // Metrics go as float64 so the Go side can decode them as float64.
    expect(encodeDCMessage({type: DCMessageType.Jitter, value: 2})[1]).toBe(0xcb);
  });

  test('decodes what the SFU sends: pong, lock result, SDP offer, MediaMap', () => {
    expect(decodeDCMessage(encode(2))).toEqual({type: DCMessageType.Pong});
    const lock = new Uint8Array([...encode(7), ...encode(true)]);
    expect(decodeDCMessage(lock)).toEqual({type: DCMessageType.Lock, acquired: true});
    const offer = {type: 'offer' as const, sdp: 'v=0'};
    const sdpMsg = new Uint8Array([...encode(3), ...encode(compressSDP(offer))]);
    expect(decodeDCMessage(sdpMsg)).toEqual({type: DCMessageType.SDP, sdp: offer});
    const map = {0: {type: 'voice', sender_id: 'x'}, 2: {type: 'screen', sender_id: 'x'}};
    const mm = new Uint8Array([...encode(9), ...encode(map)]);
    expect(decodeDCMessage(mm)).toEqual({type: DCMessageType.MediaMap, map});
    expect(() => decodeDCMessage(encode(42))).toThrow();
  });

  test('SDP round trip through the DC framing', () => {
    const answer = {type: 'answer' as const, sdp: 'v=0\r\n'};
    const decoded = decodeDCMessage(encodeDCMessage({type: DCMessageType.SDP, sdp: answer}));
    expect(decoded).toEqual({type: DCMessageType.SDP, sdp: answer});
    expect(decode(encodeDCMessage({type: DCMessageType.Ping}))).toBe(1);
  });
});

describe('the server and the webapp agree', () => {
  // One codec, two zlibs (node:zlib on the server, fflate here): what one side packs, the other reads.
  const offer = {type: 'offer' as const, sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n'.repeat(50)};

  test('on SDP over the websocket and the data channel, both ways', () => {
    expect(unpackSDP(compressSDP(offer), server.nodeZlib)).toEqual(offer);
    expect(unpackSDP(packSDP(offer, server.nodeZlib), browserZlib)).toEqual(offer);
    const fromServer = server.encodeDCMessage({type: DCMessageType.SDP, sdp: offer});
    expect(decodeDCMessage(fromServer)).toEqual({type: DCMessageType.SDP, sdp: offer});
    const fromWebapp = encodeDCMessage({type: DCMessageType.SDP, sdp: offer});
    expect(server.decodeDCMessage(fromWebapp)).toEqual({type: DCMessageType.SDP, sdp: offer});
  });

  test('on every other data-channel message, byte for byte', () => {
    const msgs = [
      {type: DCMessageType.Ping},
      {type: DCMessageType.Pong},
      {type: DCMessageType.Unlock},
      {type: DCMessageType.Lock},
      {type: DCMessageType.Lock, acquired: false},
      {type: DCMessageType.LossRate, value: 0.25},
      {type: DCMessageType.Jitter, value: 3},
      {type: DCMessageType.MediaMap, map: {0: {type: 'voice', sender_id: 's'}}},
    ] as const;
    for (const m of msgs) {
      expect([...encodeDCMessage(m)]).toEqual([...server.encodeDCMessage(m)]);
      expect(server.decodeDCMessage(encodeDCMessage(m))).toEqual(m);
    }
  });

  test('the server still refuses SDP that inflates past 64 KiB, which the webapp (trusting its server) reads', () => {
    const big = {type: 'offer' as const, sdp: 'a'.repeat(SDP_MAX_SIZE + 1)};
    const packed = compressSDP(big);
    expect(() => unpackSDP(packed, server.nodeZlib)).toThrow(SdpUnpackError);
    expect(decodeDCMessage(new Uint8Array([...encode(3), ...encode(packed)]))).toEqual({
      type: DCMessageType.SDP,
      sdp: big,
    });
    expect(() => server.decodeDCMessage(new Uint8Array([...encode(3), ...encode(packed)]))).toThrow(/exceeds 64 KiB/);
  });
});

describe('track types', () => {
  test('from the SFU track id prefix', () => {
    expect(trackTypeFromID('voice_abc_12345678')).toBe('voice');
    expect(trackTypeFromID('screen_abc_12345678')).toBe('screen');
    expect(trackTypeFromID('screen-audio_abc_12345678')).toBe('screen-audio');
    expect(trackTypeFromID('video_abc_1')).toBe('video');
    expect(trackTypeFromID('3f9a-uuid')).toBeUndefined();
  });
});

describe('MOS', () => {
  test('good network is near the top of the scale, bad network below the warning threshold', () => {
    expect(calculateMOS(20, 5, 0)).toBeGreaterThan(4.3);
    expect(calculateMOS(20, 5, 0)).toBeLessThanOrEqual(4.5);
    expect(calculateMOS(300, 60, 10)).toBeLessThan(3.5);
    expect(calculateMOS(2000, 500, 50)).toBe(1);
  });
});

describe('signaling lock support', () => {
  test('from plugin 1.7.0, and rtcd 1.1.0 when present', () => {
    expect(hasDCSignalingLockSupport({version: '1.7.0'})).toBe(true);
    expect(hasDCSignalingLockSupport({version: '1.6.9'})).toBe(false);
    expect(hasDCSignalingLockSupport({version: 'v1.12.2'})).toBe(true);
    expect(hasDCSignalingLockSupport({version: '1.7.0', rtcd_version: '1.0.3'})).toBe(false);
    expect(hasDCSignalingLockSupport({version: 'dev-abc'})).toBe(true);
    expect(hasDCSignalingLockSupport({})).toBe(false);
  });
});
