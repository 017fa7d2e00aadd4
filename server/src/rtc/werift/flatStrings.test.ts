// Long-lived strings of a session do not keep what they were cut from: werift's ids are no longer concatenation
// trees, and what it parses out of an SDP no longer pins the whole SDP; both stay equal to what they were, and two
// werift peers still negotiate with the parsed values.
import crypto from 'node:crypto';
import v8 from 'node:v8';
import vm from 'node:vm';
import {RTCPeerConnection, RTCRtpCodecParameters, SessionDescription} from 'werift';
import {flatString, flattenStringsIn, flattenWeriftStrings} from './flatStrings';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/**
 * Heap bytes each of `n` values made by `make` keeps alive while held: the median of three measurements, since what
 * else the process allocates or frees meanwhile (other tests' timers, jest) moves the heap by a few MB.
 */
function heldBytesEach(n: number, make: (i: number) => unknown): number {
  const once = () => {
    gc();
    const before = process.memoryUsage().heapUsed;
    const held: unknown[] = [];
    for (let i = 0; i < n; i++) held.push(make(i));
    gc();
    const after = process.memoryUsage().heapUsed;
    expect(held).toHaveLength(n);
    return (after - before) / n;
  };
  const runs = [once(), once(), once()].sort((a, b) => a - b);
  return runs[1];
}

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** An SDP with a 1 MB attribute line, so a parsed value that pins it shows plainly. */
function paddedSdp(i: number): string {
  return [
    'v=0',
    `o=- 4611731400430051336${i} 2 IN IP4 127.0.0.1`,
    's=-',
    't=0 0',
    'a=group:BUNDLE 0',
    'a=msid-semantic: WMS',
    'm=audio 9 UDP/TLS/RTP/SAVPF 111',
    'c=IN IP4 0.0.0.0',
    `a=ice-ufrag:uf${i}`,
    `a=ice-pwd:password-of-session-${i}-0123456789`,
    'a=fingerprint:sha-256 28:DC:4F:9A:23:6C:B6:48:D9:32:DB:A4:52:59:2C:49:BF:DA:5E:35:43:11:22:33:44:55:66:77:88:99:AA:BB',
    'a=setup:actpass',
    'a=mid:0',
    'a=sendrecv',
    'a=rtcp-mux',
    'a=rtpmap:111 opus/48000/2',
    'a=fmtp:111 minptime=10;useinbandfec=1',
    `a=candidate:foundation${i}000000 1 udp 2130706431 127.0.0.1 ${10000 + i} typ host`,
    `a=x-padding:${'p'.repeat(1024 * 1024)}`,
    '',
  ].join('\r\n');
}

describe('flat strings', () => {
  it('a flat copy is equal and holds none of the string it was sliced from', () => {
    const big = 'x'.repeat(1024 * 1024);
    const sliced = heldBytesEach(50, (i) => (big + i).slice(i % 7, 40));
    const flat = heldBytesEach(50, (i) => flatString((big + i).slice(i % 7, 40)));
    expect(flatString(big.slice(3, 40))).toBe(big.slice(3, 40));
    expect(sliced).toBeGreaterThan(700 * 1024);
    expect(flat).toBeLessThan(300 * 1024);
  });

  it('flattens the strings of a tree of plain data in place, arrays and shared nodes included', () => {
    const big = 'y'.repeat(1024 * 1024);
    const shared = {name: big.slice(1, 30)};
    const tree = {
      a: big.slice(0, 20),
      short: big.slice(0, 5),
      list: [big.slice(2, 40), 7, null],
      one: shared,
      two: shared,
    };
    flattenStringsIn(tree);
    expect(tree).toEqual({
      a: 'y'.repeat(20),
      short: 'yyyyy',
      list: ['y'.repeat(38), 7, null],
      one: {name: 'y'.repeat(29)},
      two: {name: 'y'.repeat(29)},
    });
    expect(tree.one).toBe(tree.two);
    const held = heldBytesEach(50, (i) => {
      const t = {v: (big + i).slice(5, 50), inner: {w: [(big + i).slice(6, 60)]}};
      flattenStringsIn(t);
      return t;
    });
    expect(held).toBeLessThan(300 * 1024);
  });

  describe('once installed in werift', () => {
    beforeAll(() => flattenWeriftStrings());

    it('ids are still random version-4 UUIDs, and each holds a few dozen bytes instead of a concatenation tree', () => {
      const ids = Array.from({length: 1000}, () => crypto.randomUUID());
      for (const id of ids) expect(id).toMatch(UUID_V4);
      expect(new Set(ids).size).toBe(1000);
      // A tree is ≈ 490 bytes; a flat id ≈ 56 (and the noise of other allocations, spread over 100,000).
      expect(heldBytesEach(100_000, () => crypto.randomUUID())).toBeLessThan(200);
      const pc = new RTCPeerConnection({iceServers: []});
      expect((pc as unknown as {id: string}).id).toMatch(UUID_V4);
      return pc.close();
    });

    it('a parsed SDP keeps its values and no longer pins the SDP it came from', () => {
      const parsed = SessionDescription.parse(paddedSdp(1));
      const [media] = parsed.media;
      expect(media.iceParams?.password).toBe('password-of-session-1-0123456789');
      expect(media.rtp.codecs[0].parameters).toBe('minptime=10;useinbandfec=1');
      expect(media.iceCandidates[0].foundation).toBe('foundation1000000');
      expect(parsed.origin).toBe('- 46117314004300513361 2 IN IP4 127.0.0.1');
      // Each held description would keep its 1 MB SDP if a value were a slice of it.
      expect(heldBytesEach(50, (i) => SessionDescription.parse(paddedSdp(i)))).toBeLessThan(300 * 1024);
    });

    it('two werift peers still negotiate Opus with its parameters and the ICE credentials of the other', async () => {
      const opus = () =>
        new RTCRtpCodecParameters({
          mimeType: 'audio/opus',
          clockRate: 48000,
          channels: 2,
          parameters: 'minptime=10;useinbandfec=1',
        });
      const a = new RTCPeerConnection({iceServers: [], codecs: {audio: [opus()]}});
      const b = new RTCPeerConnection({iceServers: [], codecs: {audio: [opus()]}});
      try {
        a.addTransceiver('audio', {direction: 'sendrecv'});
        await a.setLocalDescription(await a.createOffer());
        await b.setRemoteDescription(a.localDescription!);
        await b.setLocalDescription(await b.createAnswer());
        await a.setRemoteDescription(b.localDescription!);
        const [transceiver] = b.getTransceivers();
        expect(transceiver.codecs.map((c) => [c.mimeType, c.parameters])).toEqual([
          ['audio/opus', 'minptime=10;useinbandfec=1'],
        ]);
        const offered = a.localDescription!.sdp.match(/a=ice-pwd:(\S+)/)![1];
        const remote = b.iceTransports[0].connection as unknown as {remotePassword: string};
        expect(remote.remotePassword).toBe(offered);
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });
  });
});
