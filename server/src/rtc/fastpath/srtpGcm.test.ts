// Our AES-GCM (cached ECB key schedule + JS GHASH) must be byte-identical to OpenSSL's, and SRTP packets
// it seals must open in werift and vice versa (RFC 7714 IV, header as AAD, tag after the payload), both
// in JavaScript and through the native addon.
import {createCipheriv, randomBytes} from 'node:crypto';
import {RtpHeader, SrtpSession} from 'werift';
import {configureRtcNative} from './native';
import {
  AesGcm,
  GCM_TAG_LENGTH,
  KEYSTREAM_SLOT_PAYLOAD,
  KeystreamAhead,
  sessionCipher,
  srtpIv,
  type SrtpContextKeys,
} from './srtpGcm';

function opensslSeal(key: Buffer, iv: Buffer, aad: Buffer, plain: Buffer): Buffer {
  const c = createCipheriv('aes-128-gcm', key, iv);
  c.setAAD(aad);
  return Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]);
}

test('seal matches OpenSSL for every AAD and payload length up to a few blocks', () => {
  const key = randomBytes(16);
  const gcm = new AesGcm(key);
  for (let aad = 0; aad <= 40; aad += 3) {
    for (let len = 0; len <= 300; len += len < 40 ? 1 : 37) {
      const iv = randomBytes(12);
      const header = randomBytes(aad);
      const plain = randomBytes(len);
      const buf = Buffer.alloc(aad + len + GCM_TAG_LENGTH);
      header.copy(buf);
      plain.copy(buf, aad);
      gcm.seal(buf, aad, len, iv);
      expect(buf.subarray(aad).equals(opensslSeal(key, iv, header, plain))).toBe(true);
    }
  }
});

test('the IV is salt XOR (0 | SSRC | ROC | SEQ)', () => {
  const iv = Buffer.alloc(12);
  srtpIv(iv, Buffer.alloc(12), 0x01020304, 0x05060708, 0x090a);
  expect(iv.toString('hex')).toBe('00000102030405060708090a');
  srtpIv(iv, Buffer.alloc(12, 0xff), 0, 0, 0);
  expect(iv.toString('hex')).toBe('ff'.repeat(12));
});

test('open verifies, decrypts in place, and rejects any flipped bit', () => {
  const key = randomBytes(16);
  const gcm = new AesGcm(key);
  const iv = randomBytes(12);
  const header = randomBytes(12);
  const plain = randomBytes(1200);
  const sealed = Buffer.concat([header, opensslSeal(key, iv, header, plain)]);
  for (const flip of [0, 11, 12, 500, sealed.length - 1]) {
    const bad = Buffer.from(sealed);
    bad[flip] ^= 0x01;
    expect(gcm.open(bad, 12, bad.length, iv)).toBe(false);
  }
  const good = Buffer.from(sealed);
  expect(gcm.open(good, 12, good.length, iv)).toBe(true);
  expect(good.subarray(12, 12 + plain.length).equals(plain)).toBe(true);
  expect(gcm.open(Buffer.alloc(10), 12, 10, iv)).toBe(false);
});

afterAll(() => configureRtcNative('auto'));

test.each(['off', 'required'] as const)(
  'SRTP packets interoperate with werift in both directions (native addon %s)',
  (mode) => {
    configureRtcNative(mode);
    const masterKey = randomBytes(16);
    const masterSalt = randomBytes(12);
    const peerKey = randomBytes(16);
    const peerSalt = randomBytes(12);
    // Ours and werift's session see the same keys from opposite sides.
    const werift = new SrtpSession({
      keys: {
        localMasterKey: masterKey,
        localMasterSalt: masterSalt,
        remoteMasterKey: peerKey,
        remoteMasterSalt: peerSalt,
      },
      profile: 7,
    });
    const peer = new SrtpSession({
      keys: {
        localMasterKey: peerKey,
        localMasterSalt: peerSalt,
        remoteMasterKey: masterKey,
        remoteMasterSalt: masterSalt,
      },
      profile: 7,
    });
    const local = sessionCipher(werift.localContext as unknown as SrtpContextKeys);
    const remote = sessionCipher(werift.remoteContext as unknown as SrtpContextKeys);
    expect([local.native !== undefined, remote.native !== undefined]).toEqual([
      mode === 'required',
      mode === 'required',
    ]);
    // The cipher is cached per context.
    expect(sessionCipher(werift.localContext as unknown as SrtpContextKeys)).toBe(local);
    for (let i = 0; i < 5; i++) {
      // Ours → werift: the peer decrypts what we sealed.
      const payload = randomBytes(100 + i * 13);
      const header = new RtpHeader({
        payloadType: 111,
        sequenceNumber: (65533 + i) & 0xffff,
        timestamp: 1000 * i,
        ssrc: 0xdeadbeef,
        marker: i === 2,
      });
      const hdr = header.serialize(header.serializeSize);
      const buf = Buffer.alloc(hdr.length + payload.length + GCM_TAG_LENGTH);
      hdr.copy(buf);
      payload.copy(buf, hdr.length);
      // The werift sender below wraps past 65535, so the 4th and 5th packets carry ROC 1.
      const roc = 65533 + i > 65535 ? 1 : 0;
      local.seal(buf, hdr.length, payload.length, 0xdeadbeef, roc, (65533 + i) & 0xffff);
      const theirs = werift.encrypt(
        payload,
        new RtpHeader({
          payloadType: 111,
          sequenceNumber: (65533 + i) & 0xffff,
          timestamp: 1000 * i,
          ssrc: 0xdeadbeef,
          marker: i === 2,
        }),
      );
      expect(buf.equals(theirs)).toBe(true);
      expect(peer.decrypt(buf).subarray(hdr.length).equals(payload)).toBe(true);

      // werift (the peer) → ours.
      const fromPeer = peer.encrypt(
        payload,
        new RtpHeader({payloadType: 111, sequenceNumber: 10 + i, timestamp: 7, ssrc: 42}),
      );
      expect(remote.open(Buffer.from(fromPeer), 12, fromPeer.length, 42, 1, 10 + i)).toBe(false); // wrong ROC
      expect(remote.open(fromPeer, 12, fromPeer.length, 42, 0, 10 + i)).toBe(true);
      expect(fromPeer.subarray(12, fromPeer.length - GCM_TAG_LENGTH).equals(payload)).toBe(true);
    }
  },
);

test('keystreams made ahead seal exactly as packet-by-packet sealing, across gaps, late packets and the wrap', () => {
  configureRtcNative('off');
  const cipher = sessionCipher({profile: 7, srtpSessionKey: randomBytes(16), srtpSessionSalt: randomBytes(14)});
  const ahead = new KeystreamAhead(cipher, 0xcafe1234);
  // (roc, seq, payload length): steps of one, a gap, a late one, a payload too big for a slot, the wrap.
  const plan: [number, number, number][] = [
    [0, 65530, 120],
    [0, 65531, 0],
    [0, 65533, 208],
    [0, 65532, 80],
    [0, 65534, 209],
    [0, 65535, 150],
    [1, 0, 160],
    [1, 1, 1],
    [1, 30, 100],
    [1, 31, KEYSTREAM_SLOT_PAYLOAD],
  ];
  for (const [roc, seq, len] of plan) {
    const header = randomBytes(12);
    const payload = randomBytes(len);
    const a = Buffer.concat([header, payload, Buffer.alloc(GCM_TAG_LENGTH)]);
    const b = Buffer.from(a);
    ahead.seal(a, 12, len, roc, seq);
    cipher.seal(b, 12, len, 0xcafe1234, roc, seq);
    expect([roc, seq, a.equals(b)]).toEqual([roc, seq, true]);
  }
});
