// A throwaway PKI for TLS tests, made with the system's openssl in a temp dir: a CA, a server certificate it
// signed (P-256, for the given DNS names and IPs, valid two days), and a second CA that signed nothing, to
// play the wrong CA. Nothing is checked in, so nothing expires in the repository.
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface TestPki {
  /** The CA that signed the server certificate (PEM). */
  caFile: string;
  /** A CA that signed nothing here. */
  otherCaFile: string;
  certFile: string;
  keyFile: string;
  remove(): void;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

function makeCA(dir: string, name: string): {cert: string; key: string} {
  const cert = path.join(dir, `${name}.pem`);
  const key = path.join(dir, `${name}.key`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      ...EC,
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    {stdio: 'pipe'},
  );
  return {cert, key};
}

export function makeTestPki(dnsNames: string[], ips: string[] = []): TestPki {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'calls-pki-'));
  const ca = makeCA(dir, 'calls-test-ca');
  const other = makeCA(dir, 'calls-other-ca');
  const keyFile = path.join(dir, 'server.key');
  const csr = path.join(dir, 'server.csr');
  const certFile = path.join(dir, 'server.pem');
  const ext = path.join(dir, 'server.ext');
  const san = [...dnsNames.map((n) => `DNS:${n}`), ...ips.map((ip) => `IP:${ip}`)].join(',');
  fs.writeFileSync(ext, `subjectAltName=${san}\nextendedKeyUsage=serverAuth\n`);
  execFileSync('openssl', ['req', ...EC, '-keyout', keyFile, '-out', csr, '-subj', `/CN=${dnsNames[0] ?? ips[0]}`], {
    stdio: 'pipe',
  });
  execFileSync(
    'openssl',
    [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      ca.cert,
      '-CAkey',
      ca.key,
      '-CAcreateserial',
      '-out',
      certFile,
      '-days',
      '2',
      '-extfile',
      ext,
    ],
    {stdio: 'pipe'},
  );
  return {
    caFile: ca.cert,
    otherCaFile: other.cert,
    certFile,
    keyFile,
    remove: () => fs.rmSync(dir, {recursive: true, force: true}),
  };
}
