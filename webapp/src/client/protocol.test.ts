import {decode, decodeMulti, encode} from '@msgpack/msgpack';
import {unzlibSync, strFromU8} from 'fflate';

import {DCMessageType, decodeDCMessage, encodeDCMessage} from './dc_msg';
import {calculateMOS} from './rtc_monitor';
import {trackTypeFromID} from './rtc_peer';
import {compressSDP, decompressSDP} from './sdp';
import {hasDCSignalingLockSupport} from '../utils/version';

describe('SDP compression', () => {
    test('is zlib (with header) of the JSON description, as Go compress/zlib reads it', () => {
        const sdp = {type: 'offer' as const, sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n'};
        const z = compressSDP(sdp);
        // zlib header: CMF 0x78.
        expect(z[0]).toBe(0x78);
        expect(JSON.parse(strFromU8(unzlibSync(z)))).toEqual(sdp);
        expect(decompressSDP(z)).toEqual(sdp);
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
