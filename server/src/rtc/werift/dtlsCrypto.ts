// werift's DTLS handshake crypto done by node:crypto (OpenSSL) instead of JavaScript, and its certificate parsed
// once (werift 0.25.2); reached through internals.ts. Same inputs and outputs as werift's own functions, so a
// handshake is byte-for-byte what it was apart from the random values.
import {
  createECDH,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  KeyObject,
  sign,
  type ECDH,
} from 'node:crypto';
import {weriftModule} from './weriftModule';

/** RFC 8422 named curves werift offers. */
export const X25519 = 29;
export const SECP256R1 = 23;

/** An ECDHE key pair as werift keeps it: raw private scalar; public key raw (x25519) or uncompressed (P-256). */
export interface NamedCurveKeyPair {
  curve: number;
  publicKey: Buffer;
  privateKey: Buffer;
}

/** werift's cipher/namedCurve.js and cipher/prf.js exports, which its flights call through the module object. */
export interface WeriftKeyExchange {
  generateKeyPair(curve: number): NamedCurveKeyPair;
  prfPreMasterSecret(publicKey: Buffer, privateKey: Buffer, curve: number): Buffer;
}

interface FidmPrivateKey {
  toPEM(): string;
}
interface DtlsRandom {
  serialize(): Buffer;
}

/** werift's DTLS CipherContext (dtls/src/context/cipher.js), the parts this module replaces or reads. */
export interface CipherContextInternals {
  sessionType: number;
  keyPem?: string;
  localCert?: Buffer;
  localPrivateKey?: FidmPrivateKey;
  signatureHashAlgorithm?: unknown;
  localRandom: DtlsRandom;
  remoteRandom: DtlsRandom;
  localKeyPair: NamedCurveKeyPair;
  namedCurve: number;
  parseX509(certPem: string, keyPem: string, signatureHash: unknown): void;
  generateKeySignature(hashAlgorithm: string): Buffer;
  signatureData(data: Buffer, hash: string): Buffer;
  valueKeySignature(clientRandom: Buffer, serverRandom: Buffer, publicKey: Buffer, namedCurve: number): Buffer;
}

/** The module objects werift's DTLS flights read these functions from (its exports map does not list them). */
export function weriftDtlsModules(): {
  namedCurve: Pick<WeriftKeyExchange, 'generateKeyPair'>;
  prf: Pick<WeriftKeyExchange, 'prfPreMasterSecret'>;
  CipherContext: {prototype: CipherContextInternals};
} {
  return {
    namedCurve: weriftModule<WeriftKeyExchange>('dtls/src/cipher/namedCurve.js'),
    prf: weriftModule<WeriftKeyExchange>('dtls/src/cipher/prf.js'),
    CipherContext: weriftModule<{CipherContext: {prototype: CipherContextInternals}}>('dtls/src/context/cipher.js')
      .CipherContext,
  };
}

// The DER prefix that turns a raw X25519 private key (RFC 8410) into the PKCS#8 structure OpenSSL reads.
const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

/**
 * The OpenSSL key behind each private key we generated (werift keeps the raw bytes): importing raw bytes again
 * costs more than the whole key exchange (≈ 0.4 ms for X25519 PKCS#8).
 */
const privateKeys = new WeakMap<Buffer, KeyObject | ECDH>();

/** A fresh ECDHE key pair in werift's format, made by OpenSSL. */
export function generateKeyPair(curve: number): NamedCurveKeyPair {
  if (curve === X25519) {
    const pair = generateKeyPairSync('x25519');
    // The raw keys are the last 32 bytes of the DER encodings. Not through a JWK export: Node 20 allocates the JWK's
    // strings while holding the key's lock, and a garbage collection in between that frees the generation job of the
    // same key takes that lock again, deadlocking the process (a plain loop of 5,000 generations hung; 80,000 with
    // DER did not).
    const privateKey = pair.privateKey.export({format: 'der', type: 'pkcs8'}).subarray(-32);
    privateKeys.set(privateKey, pair.privateKey);
    return {curve, privateKey, publicKey: pair.publicKey.export({format: 'der', type: 'spki'}).subarray(-32)};
  }
  if (curve === SECP256R1) {
    const ecdh = createECDH('prime256v1');
    const publicKey = ecdh.generateKeys();
    // OpenSSL drops leading zero bytes of the scalar (1 key in 256); werift's keys are always 32 bytes.
    const scalar = ecdh.getPrivateKey();
    const privateKey = scalar.length < 32 ? Buffer.concat([Buffer.alloc(32 - scalar.length), scalar]) : scalar;
    privateKeys.set(privateKey, ecdh);
    return {curve, privateKey, publicKey};
  }
  throw new Error(`unsupported named curve ${curve}`);
}

/** The ECDHE shared secret (the TLS pre-master secret: for P-256 the x coordinate), computed by OpenSSL. */
export function preMasterSecret(publicKey: Buffer, privateKey: Buffer, curve: number): Buffer {
  const known = privateKeys.get(privateKey);
  if (curve === X25519) {
    if (publicKey.length !== 32 || privateKey.length !== 32) throw new Error('bad x25519 key size');
    const own =
      known instanceof KeyObject
        ? known
        : createPrivateKey({key: Buffer.concat([X25519_PKCS8_PREFIX, privateKey]), format: 'der', type: 'pkcs8'});
    const peer = createPublicKey({key: {kty: 'OKP', crv: 'X25519', x: publicKey.toString('base64url')}, format: 'jwk'});
    return diffieHellman({privateKey: own, publicKey: peer});
  }
  if (curve === SECP256R1) {
    let ecdh = known instanceof KeyObject ? undefined : known;
    if (!ecdh) {
      ecdh = createECDH('prime256v1');
      ecdh.setPrivateKey(privateKey);
    }
    return ecdh.computeSecret(publicKey);
  }
  throw new Error(`unsupported named curve ${curve}`);
}

/** Parsed certificates and keys by PEM: a process has one DTLS certificate, tests a few. */
const MAX_PARSED = 16;
const parsed = new Map<string, {localCert: Buffer; localPrivateKey: FidmPrivateKey}>();
const signingKeys = new Map<string, KeyObject>();

function signingKey(cipher: CipherContextInternals): KeyObject {
  const pem = cipher.keyPem ?? cipher.localPrivateKey!.toPEM();
  let key = signingKeys.get(pem);
  if (!key) {
    if (signingKeys.size >= MAX_PARSED) signingKeys.clear();
    signingKeys.set(pem, (key = createPrivateKey(pem)));
  }
  return key;
}

/** werift's SessionType.CLIENT (dtls/src/cipher/suites/abstract.js). */
const CLIENT = 1;

let installed = false;

/**
 * werift's DTLS did its ECDHE in JavaScript (x25519 in tweetnacl, P-256 in @noble/curves: about 0.5 ms a scalar
 * multiplication, two per side per handshake), parsed its certificate and key PEM with @fidm/x509 for every
 * handshake, and signed with a PEM string node parsed again each time. Under a burst of joins that was CPU the
 * joins queued behind. Now the key exchange is OpenSSL's, the PEM is parsed once per certificate and the signing
 * key is a KeyObject made once. Process-wide and idempotent; the server and werift test clients both install it.
 */
export function nativeDtlsCrypto(): void {
  if (installed) return;
  installed = true;
  const {namedCurve, prf, CipherContext} = weriftDtlsModules();
  namedCurve.generateKeyPair = generateKeyPair;
  prf.prfPreMasterSecret = preMasterSecret;
  const proto = CipherContext.prototype;
  const parseX509 = proto.parseX509;
  proto.parseX509 = function (this: CipherContextInternals, certPem, keyPem, signatureHash) {
    const id = `${certPem}\n${keyPem}`;
    let entry = parsed.get(id);
    if (!entry) {
      parseX509.call(this, certPem, keyPem, signatureHash);
      if (parsed.size >= MAX_PARSED) parsed.clear();
      parsed.set(id, (entry = {localCert: this.localCert!, localPrivateKey: this.localPrivateKey!}));
    }
    // werift copies localCert before sending it and never writes to either.
    this.localCert = entry.localCert;
    this.localPrivateKey = entry.localPrivateKey;
    this.signatureHashAlgorithm = signatureHash;
  };
  // ServerKeyExchange's signature over the randoms and our ECDHE parameters (RFC 8422 §5.4), as werift built it.
  proto.generateKeySignature = function (this: CipherContextInternals, hashAlgorithm) {
    const client = this.sessionType === CLIENT ? this.localRandom : this.remoteRandom;
    const server = this.sessionType === CLIENT ? this.remoteRandom : this.localRandom;
    const data = this.valueKeySignature(
      client.serialize(),
      server.serialize(),
      this.localKeyPair.publicKey,
      this.namedCurve,
    );
    return sign(hashAlgorithm, data, signingKey(this));
  };
  // CertificateVerify's signature over the handshake messages.
  proto.signatureData = function (this: CipherContextInternals, data, hash) {
    return sign(hash, data, signingKey(this));
  };
}
