// Which certificate authorities the plugin trusts when it calls an rtcd host or a job service over https/wss:
// Node's own (NODE_EXTRA_CA_CERTS included) by default; MM_CALLS_TLS_CA_CERT_FILE adds a private CA's PEM
// bundle to Node's bundled roots, read once at start. A certificate no trusted CA signed is refused, never
// accepted, and the refusal is told apart from a host that is down so the log names what to fix.
import {X509Certificate} from 'node:crypto';
import fs from 'node:fs';
import tls from 'node:tls';

export const CA_CERT_FILE_ENV = 'MM_CALLS_TLS_CA_CERT_FILE';

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The CAs to trust (Node's roots and the file's), or undefined for Node's defaults; throws when the file is unusable. */
export function trustedCAs(env: NodeJS.ProcessEnv): string[] | undefined {
  const file = env[CA_CERT_FILE_ENV]?.trim();
  if (!file) return undefined;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`${CA_CERT_FILE_ENV}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  const pems = text.match(PEM_CERT) ?? [];
  if (pems.length === 0) throw new Error(`${CA_CERT_FILE_ENV}: ${file} holds no PEM certificate`);
  for (const pem of pems) {
    try {
      new X509Certificate(pem);
    } catch {
      throw new Error(`${CA_CERT_FILE_ENV}: ${file} holds a certificate that does not parse`);
    }
  }
  return [...tls.rootCertificates, ...pems];
}

const CERT_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** Node's code when `err` (or its cause) is the peer's certificate being refused, else null. */
export function certificateProblem(err: unknown): string | null {
  for (let e = err, depth = 0; e && depth < 4; e = (e as {cause?: unknown}).cause, depth++) {
    const code = (e as {code?: unknown}).code;
    if (typeof code === 'string' && CERT_CODES.has(code)) return code;
  }
  return null;
}

/** What the log says next to a refused certificate. */
export const UNTRUSTED_HINT = `trust its CA with ${CA_CERT_FILE_ENV} (or NODE_EXTRA_CA_CERTS), or fix its certificate`;
