// The job service's API over TLS (API_HTTP_TLS_* / api.http.tls.*, as calls-offloader), with a private CA made
// for the test by openssl: the plugin's job runner given the CA (MM_CALLS_TLS_CA_CERT_FILE) registers and runs
// a job over https; a runner trusting another CA is refused with an error that names the certificate; the
// service refuses TLS 1.1; a certificate path that does not exist stops the service at start.
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import {silentLogger} from '../../server/src/log';
import {createJobRunner, type OffloaderJobRunner} from '../../server/src/jobs/offloader-client';
import {loadJobsConfig} from '../../server/src/jobs/service/config';
import type {JobService} from '../../server/src/jobs/service/service';
import type {JobSpec} from '../../server/src/jobs/types';
import {openStore, type Store} from '../../server/src/store';
import {makeTestPki, type TestPki} from '../support/tls-certs';
import {waitFor} from '../support/wait';
import {jobBody, jobDir, startService, tempDir, testConfig} from './support/harness';

jest.setTimeout(30_000);

let pki: TestPki;
let dir: string;
let svc: JobService;
let store: Store;
const runners: OffloaderJobRunner[] = [];

beforeAll(async () => {
  pki = makeTestPki(['localhost'], ['127.0.0.1']);
  dir = tempDir();
  svc = await startService(
    testConfig(dir, (c) => (c.api.tls = {enable: true, certFile: pki.certFile, certKey: pki.keyFile})),
  );
  store = await openStore({dataDir: path.join(dir, 'node'), logger: silentLogger()});
});

afterAll(async () => {
  for (const r of runners) await r.close();
  await store?.close();
  await svc?.close(true);
  fs.rmSync(dir, {recursive: true, force: true});
  pki?.remove();
});

function runner(caFile: string): OffloaderJobRunner {
  const r = createJobRunner(
    {JobServiceURL: svc.url},
    {store, defaultClientID: 'node-1', logger: silentLogger(), env: {MM_CALLS_TLS_CA_CERT_FILE: caFile}},
  );
  if (!r) throw new Error('no runner');
  runners.push(r);
  return r;
}

test('a runner trusting the private CA registers and runs a job over https', async () => {
  expect(svc.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  const r = runner(pki.caFile);
  await r.init();
  const input = jobBody('sleep').input_data as JobSpec['inputData'];
  delete input.node_options;
  const {jobID} = await r.start({type: 'recording', maxDurationSec: 60, inputData: input});
  // The fake recorder runs: it wrote its environment into the job's data directory.
  await waitFor(
    async () => fs.existsSync(path.join(jobDir(dir, jobID), 'data', 'env.json')),
    10_000,
    'the job running',
  );
});

test('a runner trusting another CA is refused, naming the certificate', async () => {
  await expect(runner(pki.otherCaFile).init()).rejects.toThrow(
    /job service GET \/version: certificate not trusted \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\).*MM_CALLS_TLS_CA_CERT_FILE/,
  );
});

test('TLS 1.1 is refused; TLS 1.2 is spoken on P-256', async () => {
  const port = Number(new URL(svc.url).port);
  const connect = (opts: tls.ConnectionOptions) =>
    new Promise<string>((resolve) => {
      const s = tls.connect({host: '127.0.0.1', port, ca: fs.readFileSync(pki.caFile), ...opts});
      s.once('secureConnect', () => {
        resolve(`${s.getProtocol()} ${(s.getEphemeralKeyInfo() as {name?: string} | null)?.name}`);
        s.destroy();
      });
      s.once('error', (err) => resolve(`refused: ${err.message}`));
    });
  expect(await connect({maxVersion: 'TLSv1.2'})).toBe('TLSv1.2 prime256v1');
  expect(await connect({minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0'})).toMatch(
    /^refused: .*(protocol version|unsupported protocol)/i,
  );
});

test('a certificate that cannot be read stops the service at start, naming the setting', () => {
  expect(() =>
    loadJobsConfig({
      env: {
        API_HTTP_TLS_ENABLE: 'true',
        API_HTTP_TLS_CERTFILE: path.join(dir, 'missing.pem'),
        API_HTTP_TLS_CERTKEY: pki.keyFile,
      },
    }),
  ).toThrow(/^api\.http\.tls\.cert_file: cannot read .*missing\.pem: ENOENT$/);
  // A key that is not the certificate's.
  expect(() =>
    loadJobsConfig({
      env: {API_HTTP_TLS_ENABLE: 'true', API_HTTP_TLS_CERTFILE: pki.certFile, API_HTTP_TLS_CERTKEY: pki.caFile},
    }),
  ).toThrow(/^api\.http\.tls: cannot use cert_file/);
});
