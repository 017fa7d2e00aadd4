// The certificate fingerprint werift puts in every offer and answer is computed once per certificate, and is the
// certificate's real SHA-256 fingerprint.
import {createHash, X509Certificate} from 'node:crypto';
import {RTCDtlsTransport} from 'werift';
import {cacheCertificateFingerprints} from './internals';

it('computes a certificate’s fingerprint once, and it is the certificate’s SHA-256', async () => {
  cacheCertificateFingerprints();
  const cert = await RTCDtlsTransport.SetupCertificate();
  const first = cert.getFingerprints();
  const second = cert.getFingerprints();
  // The same computed fingerprint object, in a fresh array each time.
  expect(second[0]).toBe(first[0]);
  expect(second).not.toBe(first);
  const der = new X509Certificate(cert.certPem).raw;
  const sha256 = createHash('sha256').update(der).digest('hex').toUpperCase().match(/../g)!.join(':');
  expect(first).toEqual([expect.objectContaining({algorithm: 'sha-256', value: sha256})]);
});
