// Unit checks of the SFU's pure parts: data-channel framing, voice activity, simulcast layer choice,
// client input validation, ICE URL and override parsing, TURN REST credentials, the signaling lock.
import {createHmac} from 'node:crypto';
import {deflateSync} from 'node:zlib';
import {encode} from '@msgpack/msgpack';
import {DCMessageType} from '../protocol';
import {decodeDCMessage, encodeDCMessage} from '../protocol-node';
import {overrideMappings, parseIceUrl} from './net/network';
import {checkIceCandidate, checkSessionDescription, remoteMediaDirections} from './media/sdpCheck';
import {SignalingLock} from './media/signalingLock';
import {LayerSelector, RateMonitor, initialLayer} from './media/simulcast';
import {sessionTurnServers, turnCredentials} from './net/turn';
import {VoiceActivityDetector} from './media/vad';

function fakeClock(start = 1_000_000) {
  let now = start;
  return {now: () => now, advance: (ms: number) => (now += ms)};
}

describe('calls-dc framing', () => {
  it('encodes the type as a msgpack uint followed by the payload, flat', () => {
    expect(Buffer.from(encodeDCMessage({type: DCMessageType.Ping}))).toEqual(Buffer.from([0x01]));
    expect(Buffer.from(encodeDCMessage({type: DCMessageType.Lock, acquired: false}))).toEqual(
      Buffer.from([0x07, 0xc2]),
    );
    const mm = encodeDCMessage({type: DCMessageType.MediaMap, map: {'1': {type: 'voice', sender_id: 's'}}});
    expect(decodeDCMessage(mm)).toEqual({type: DCMessageType.MediaMap, map: {'1': {type: 'voice', sender_id: 's'}}});
  });

  it('round-trips SDP as zlib JSON in a msgpack bin, and reads what calls-common writes', () => {
    const sdp = {type: 'offer' as const, sdp: 'v=0\r\n'};
    expect(decodeDCMessage(encodeDCMessage({type: DCMessageType.SDP, sdp}))).toEqual({type: DCMessageType.SDP, sdp});
    const fromClient = Uint8Array.from([...encode(3), ...encode(deflateSync(JSON.stringify(sdp)))]);
    expect(decodeDCMessage(fromClient)).toEqual({type: DCMessageType.SDP, sdp});
  });

  it('accepts metrics as numbers (and as JSON text, as older clients send them)', () => {
    expect(decodeDCMessage(Uint8Array.from([...encode(4), ...encode(0.5)]))).toEqual({type: 4, value: 0.5});
    expect(decodeDCMessage(Uint8Array.from([...encode(5), ...encode('0.25')]))).toEqual({type: 5, value: 0.25});
    expect(() => decodeDCMessage(Uint8Array.from([...encode(6), ...encode('x')]))).toThrow(/not a number/);
  });

  it('rejects unknown types, bad zlib and oversized SDP', () => {
    expect(() => decodeDCMessage(encode(10))).toThrow(/unknown dc message type 10/);
    expect(() => decodeDCMessage(Uint8Array.from([...encode(3), ...encode(Uint8Array.from([1, 2]))]))).toThrow(/zlib/);
    const big = deflateSync(JSON.stringify({type: 'offer', sdp: 'a'.repeat(70 * 1024)}));
    expect(() => decodeDCMessage(Uint8Array.from([...encode(3), ...encode(big)]))).toThrow(/64 KiB/);
  });
});

describe('voice activity', () => {
  it('turns on with speech, not with a single loud packet, and off after silence but not within 2 s', () => {
    const clock = fakeClock();
    const vad = new VoiceActivityDetector(clock);
    const events: boolean[] = [];
    const feed = (level: number) => {
      clock.advance(20);
      const e = vad.push(level);
      if (e !== undefined) events.push(e);
    };
    for (let i = 0; i < 100; i++) feed(i === 50 ? 0 : 127);
    expect(events).toEqual([]);
    for (let i = 0; i < 20; i++) feed(i % 2 ? 20 : 90);
    expect(events).toEqual([true]);
    for (let i = 0; i < 60; i++) feed(127); // 1.2 s of silence: still inside the 2 s minimum
    expect(events).toEqual([true]);
    for (let i = 0; i < 60; i++) feed(127);
    expect(events).toEqual([true, false]);
  });

  it('reports off on reset only when it was on', () => {
    const vad = new VoiceActivityDetector(fakeClock());
    expect(vad.reset()).toBeUndefined();
    for (let i = 0; i < 12; i++) vad.push(10);
    expect(vad.active).toBe(true);
    expect(vad.reset()).toBe(false);
    expect(vad.active).toBe(false);
  });
});

describe('simulcast', () => {
  it('starts receivers on l unless the estimate clearly allows h', () => {
    expect(initialLayer(undefined)).toBe('l');
    expect(initialLayer(2_000_000)).toBe('l');
    expect(initialLayer(3_000_000)).toBe('h');
  });

  it('switches up with a good estimate, backs off, and downgrades on a clearly bad link', () => {
    const clock = fakeClock();
    const sel = new LayerSelector('l', clock);
    expect(sel.update(5_000_000, 2_000_000)).toBeUndefined(); // inside the initial back-off
    clock.advance(10_000);
    expect(sel.update(5_000_000, 2_000_000)).toBe('h');
    expect(sel.update(1_700_000, 2_000_000)).toBeUndefined(); // a dip within back-off is tolerated
    expect(sel.update(500_000, 2_000_000)).toBe('l'); // a collapse is not
    clock.advance(1000);
    expect(sel.update(5_000_000, 2_000_000)).toBeUndefined(); // back-off grew
    clock.advance(22_500); // 10 s × 1.5 × 1.5 after two switches
    expect(sel.update(5_000_000, 2_000_000)).toBe('h');
  });

  it('measures a source rate over its window', () => {
    const clock = fakeClock();
    const m = new RateMonitor(1000, clock);
    expect(m.rate).toBe(-1);
    for (let i = 0; i < 200; i++) {
      m.push(1250); // 1250 bytes every 10 ms = 1 Mbit/s
      clock.advance(10);
    }
    expect(m.rate).toBeGreaterThan(900_000);
    expect(m.rate).toBeLessThan(1_100_000);
  });
});

describe('client input validation', () => {
  const offer = (media: string) => ({type: 'offer', sdp: `v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n${media}`});

  it('accepts a data-channel-only offer and an Opus offer', () => {
    expect(
      checkSessionDescription(offer('m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:0\r\n'), 65536),
    ).toBeUndefined();
    expect(
      checkSessionDescription(
        offer('m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=rtpmap:111 opus/48000/2\r\n'),
        65536,
      ),
    ).toBeUndefined();
  });

  it('gives stable ids for what it rejects', () => {
    expect(checkSessionDescription({type: 'offer'}, 65536)?.id).toBe('app.rtc.invalid_sdp');
    expect(checkSessionDescription({type: 'offer', sdp: 'x'.repeat(100)}, 50)?.id).toBe('app.rtc.sdp_too_large');
    expect(
      checkSessionDescription(offer('m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n'), 65536)?.id,
    ).toBe('app.rtc.invalid_offer');
    expect(checkSessionDescription(offer('m=text 9 RTP/AVP 0\r\n'), 65536)?.id).toBe('app.rtc.invalid_sdp');
  });

  it('quotes a bad media section short: the reason goes to logs, relays and the client', () => {
    const err = checkSessionDescription(offer(`m=application${'x'.repeat(5000)} 9 UDP/DTLS/SCTP x\r\n`), 65536);
    expect(err?.id).toBe('app.rtc.invalid_sdp');
    expect(err?.message).toBe(`unsupported media section "application${'x'.repeat(21)}…"`);
  });

  it('reads the remote direction of each m-line by mid', () => {
    const sdp = offer(
      'm=audio 9 X 111\r\na=mid:0\r\na=sendonly\r\nm=audio 9 X 111\r\na=mid:1\r\nm=audio 0 X 111\r\na=mid:2\r\na=inactive\r\n',
    ).sdp;
    expect([...remoteMediaDirections(sdp)]).toEqual([
      ['0', 'sendonly'],
      ['1', 'sendrecv'],
    ]);
  });

  it('validates candidate lines', () => {
    expect(checkIceCandidate('candidate:1 1 udp 2122260223 192.0.2.1 54321 typ host generation 0')).toBeUndefined();
    expect(checkIceCandidate('candidate:1 1 tcp 1518280447 192.0.2.1 9 typ host tcptype active')).toBeUndefined();
    expect(checkIceCandidate('candidate:1 1 sctp 1 1.2.3.4 5 typ host')?.id).toBe('app.rtc.invalid_ice');
    expect(checkIceCandidate('<script>')?.id).toBe('app.rtc.invalid_ice');
  });
});

describe('ICE configuration', () => {
  it('parses STUN and TURN urls', () => {
    expect(parseIceUrl('stun:stun.example.com')).toMatchObject({scheme: 'stun', host: 'stun.example.com', port: 3478});
    expect(parseIceUrl('turn:10.0.0.1:3479?transport=tcp')).toMatchObject({
      scheme: 'turn',
      host: '10.0.0.1',
      port: 3479,
      transport: 'tcp',
    });
    expect(parseIceUrl('turns:[2001:db8::1]:443')).toMatchObject({scheme: 'turns', host: '2001:db8::1', port: 443});
    expect(parseIceUrl('http://x')).toBeUndefined();
  });

  it('maps local addresses to the override like rtcd', async () => {
    expect([...(await overrideMappings('203.0.113.1', ['10.0.0.5'], 1000))]).toEqual([['10.0.0.5', '203.0.113.1']]);
    expect([...(await overrideMappings('203.0.113.1', ['127.0.0.1', '10.0.0.5', '10.0.0.6'], 1000))]).toEqual([
      ['127.0.0.1', '127.0.0.1'],
      ['10.0.0.5', '203.0.113.1'],
      ['10.0.0.6', '203.0.113.1'],
    ]);
    expect([...(await overrideMappings('203.0.113.1/10.0.0.5,203.0.113.2/10.9.9.9', ['10.0.0.5'], 1000))]).toEqual([
      ['10.0.0.5', '203.0.113.1'],
    ]);
    await expect(overrideMappings('bad/10.0.0.5', ['10.0.0.5'], 1000)).rejects.toThrow(/invalid ICEHostOverride/);
  });

  it('derives TURN REST credentials per session only with server-side TURN', () => {
    const creds = turnCredentials('secret', 'sess', 60, 1_700_000_000_000);
    expect(creds.username).toBe(`${1_700_000_000 + 3600}:sess`);
    expect(creds.credential).toBe(createHmac('sha1', 'secret').update(creds.username).digest('base64'));
    const base = {
      iceServers: [{urls: ['stun:s:3478', 'turn:t:3478']}, {urls: ['turn:u:3478'], username: 'u', credential: 'c'}],
      turnStaticAuthSecret: 'secret',
      turnCredentialsExpirationMinutes: 60,
    };
    expect(sessionTurnServers({...base, serverSideTURN: false}, 'sess', 0)).toEqual([]);
    expect(sessionTurnServers({...base, serverSideTURN: true, turnStaticAuthSecret: ''}, 'sess', 0)).toEqual([]);
    const on = sessionTurnServers({...base, serverSideTURN: true}, 'sess', 0);
    expect(on).toEqual([
      {urls: ['turn:t:3478'], username: '3600:sess', credential: expect.any(String)},
      {urls: ['turn:u:3478'], username: 'u', credential: 'c'},
    ]);
  });
});

describe('signaling lock', () => {
  it('try-locks for the client, waits for the server, and only the holder unlocks', async () => {
    const lock = new SignalingLock();
    expect(lock.tryLock('client')).toBe(true);
    expect(lock.tryLock('client')).toBe(false);
    const server = lock.lock('server', 1000);
    expect(lock.unlock('server')).toBe(false);
    expect(lock.unlock('client')).toBe(true);
    await expect(server).resolves.toBe(true);
    expect(lock.holder).toBe('server');
    await expect(lock.lock('client', 10)).resolves.toBe(false);
    lock.close();
    await expect(lock.lock('server', 1000)).resolves.toBe(false);
  });
});
