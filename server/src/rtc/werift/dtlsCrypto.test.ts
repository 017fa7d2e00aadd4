import {spawnSync} from 'node:child_process';
import {createPublicKey, verify} from 'node:crypto';
import {type RTCCertificate, RTCDtlsTransport} from 'werift';
import {loopbackDtlsServer, opensslHandshake} from '../../testing/dtls-handshake';
import {
  generateKeyPair,
  nativeDtlsCrypto,
  preMasterSecret,
  SECP256R1,
  weriftDtlsModules,
  X25519,
  type CipherContextInternals,
} from './dtlsCrypto';

// werift's own JavaScript key exchange (tweetnacl, @noble/curves), taken before the patch replaces it.
const werift = weriftDtlsModules();
const weriftGenerate = werift.namedCurve.generateKeyPair;
const weriftSecret = werift.prf.prfPreMasterSecret;

type CipherContextClass = new (
  sessionType: number,
  certPem: string,
  keyPem: string,
  signatureHash: unknown,
) => CipherContextInternals;
const CipherContext = werift.CipherContext as unknown as CipherContextClass;

let certificate: RTCCertificate;
beforeAll(async () => {
  certificate = await RTCDtlsTransport.SetupCertificate();
});

describe.each([
  ['x25519', X25519, 32],
  ['P-256', SECP256R1, 65],
])('%s key exchange', (_name, curve, publicLength) => {
  it('agrees with werift’s JavaScript implementation from either side', () => {
    for (let i = 0; i < 5; i++) {
      const ours = generateKeyPair(curve);
      const theirs = weriftGenerate(curve);
      expect(ours.privateKey).toHaveLength(32);
      expect(ours.publicKey).toHaveLength(publicLength);
      const secret = preMasterSecret(theirs.publicKey, ours.privateKey, curve);
      expect(secret).toHaveLength(32);
      expect(secret).toEqual(weriftSecret(ours.publicKey, theirs.privateKey, curve));
      expect(weriftSecret(theirs.publicKey, ours.privateKey, curve)).toEqual(secret);
      // A private key werift made (not one of ours, whose OpenSSL key is kept) is imported from its bytes.
      expect(preMasterSecret(ours.publicKey, theirs.privateKey, curve)).toEqual(secret);
    }
  });

  it('gives a fresh key pair each time, in werift’s sizes (a P-256 scalar starts with a zero byte 1 time in 256)', () => {
    const keys = Array.from({length: 2000}, () => generateKeyPair(curve));
    expect(new Set(keys.map((k) => k.privateKey.toString('hex'))).size).toBe(keys.length);
    expect(keys.filter((k) => k.privateKey.length !== 32 || k.publicKey.length !== publicLength)).toEqual([]);
  });

  it('refuses a malformed peer key instead of deriving a secret from it', () => {
    const ours = generateKeyPair(curve);
    expect(() => preMasterSecret(Buffer.alloc(publicLength - 1, 9), ours.privateKey, curve)).toThrow();
  });
});

describe('nativeDtlsCrypto', () => {
  beforeAll(() => nativeDtlsCrypto());

  it('is what werift’s DTLS flights call', () => {
    const modules = weriftDtlsModules();
    expect(modules.namedCurve.generateKeyPair).toBe(generateKeyPair);
    expect(modules.prf.prfPreMasterSecret).toBe(preMasterSecret);
  });

  it('parses a certificate once: every handshake with it shares the parsed certificate and key', () => {
    const a = new CipherContext(2, certificate.certPem, certificate.privateKey, certificate.signatureHash);
    const b = new CipherContext(1, certificate.certPem, certificate.privateKey, certificate.signatureHash);
    expect(b.localPrivateKey).toBe(a.localPrivateKey);
    expect(b.localCert).toBe(a.localCert);
    // The DER the certificate's fingerprint is computed from (what the peer checks against the SDP).
    const der = Buffer.from(certificate.certPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    expect(a.localCert).toEqual(der);
    expect(b.signatureHashAlgorithm).toEqual(certificate.signatureHash);
  });

  it('signs ServerKeyExchange and CertificateVerify so the certificate’s public key verifies them', () => {
    const publicKey = createPublicKey(certificate.certPem);
    const server = new CipherContext(2, certificate.certPem, certificate.privateKey, certificate.signatureHash);
    const random = (fill: number) => ({serialize: () => Buffer.alloc(32, fill)});
    Object.assign(server, {
      localRandom: random(1),
      remoteRandom: random(2),
      localKeyPair: generateKeyPair(X25519),
      namedCurve: X25519,
    });
    const signed = server.valueKeySignature(
      Buffer.alloc(32, 2),
      Buffer.alloc(32, 1),
      server.localKeyPair.publicKey,
      X25519,
    );
    expect(verify('sha256', signed, publicKey, server.generateKeySignature('sha256'))).toBe(true);
    const handshakes = Buffer.from('the handshake messages so far');
    expect(verify('sha256', handshakes, publicKey, server.signatureData(handshakes, 'sha256'))).toBe(true);
  });
});

// An independent DTLS 1.2 client (OpenSSL, as in the e2e browsers' BoringSSL) checks what werift's own client does
// not: the ServerKeyExchange signature, and the key exchange through the Finished messages.
const OPENSSL = spawnSync('openssl', ['version']).status === 0;

(OPENSSL ? describe : describe.skip)('a DTLS handshake with OpenSSL’s client, through the patched crypto', () => {
  beforeAll(() => nativeDtlsCrypto());

  // The certificate is P-256 ECDSA, so TLS 1.2 clients list P-256 too; x25519 first is what browsers offer.
  it.each([
    ['x25519', 'X25519:P-256'],
    ['P-256', 'P-256'],
  ])('completes with %s', async (_name, groups) => {
    const server = await loopbackDtlsServer(certificate);
    try {
      expect(await opensslHandshake(server, certificate, groups)).toBe('connected');
    } finally {
      await server.close();
    }
  });
});
