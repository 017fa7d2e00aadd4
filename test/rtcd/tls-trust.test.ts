// MM_CALLS_TLS_CA_CERT_FILE: a readable PEM bundle is trusted beside Node's roots; a missing or empty file
// stops the start naming the setting; a refused certificate is told apart from other network errors.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import {makeTestPki} from '../support/tls-certs';
import {certificateProblem, trustedCAs} from '../../server/src/service-kit/tls-trust';

const pki = makeTestPki(['localhost']);
afterAll(() => pki.remove());

test('the file is added to Node’s roots; unset means Node’s defaults', () => {
  expect(trustedCAs({})).toBeUndefined();
  const cas = trustedCAs({MM_CALLS_TLS_CA_CERT_FILE: pki.caFile})!;
  expect(cas).toHaveLength(tls.rootCertificates.length + 1);
  expect(cas.at(-1)).toBe(fs.readFileSync(pki.caFile, 'utf8').trim());
});

test('a file that cannot be used stops the start, naming the setting', () => {
  const missing = path.join(os.tmpdir(), 'no-such-ca.pem');
  expect(() => trustedCAs({MM_CALLS_TLS_CA_CERT_FILE: missing})).toThrow(
    /^MM_CALLS_TLS_CA_CERT_FILE: cannot read .*no-such-ca\.pem: ENOENT$/,
  );
  expect(() => trustedCAs({MM_CALLS_TLS_CA_CERT_FILE: pki.keyFile})).toThrow(/holds no PEM certificate/);
});

test('a refused certificate is recognised through wrapping errors; other errors are not', () => {
  const tlsErr = Object.assign(new Error('unable to verify the first certificate'), {
    code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  });
  expect(certificateProblem(new Error('rtcd: unable to verify', {cause: tlsErr}))).toBe(
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  );
  expect(certificateProblem(Object.assign(new Error('refused'), {code: 'ECONNREFUSED'}))).toBeNull();
  expect(certificateProblem(undefined)).toBeNull();
});
