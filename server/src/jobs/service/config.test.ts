// The job service reads calls-offloader's settings: un-prefixed variables over the TOML file over the
// defaults, and failed_jobs_retention_time as Nm/Nh/Nd of at least a minute (0 keeps forever).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {ServiceConfigError} from '../../service-kit/settings';
import {loadJobsConfig, parseRetention} from './config';

test('defaults are upstream calls-offloader defaults', () => {
  const c = loadJobsConfig({env: {}});
  expect(c.api.listenAddress).toBe(':4545');
  expect(c.jobs.maxConcurrentJobs).toBe(2);
  expect(c.jobs.imageRegistry).toBe('mattermost');
  expect(c.store.dataSource).toBe('/tmp/calls-offloader-db');
  expect(c.jobs.failedJobsRetentionMinutes).toBe(0);
  expect(c.jobs.stopGraceSeconds).toBe(300);
});

test('the TOML file, then the environment', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobs-config-'));
  const file = path.join(dir, 'c.toml');
  fs.writeFileSync(
    file,
    '[jobs]\nmax_concurrent_jobs = 4\nfailed_jobs_retention_time = "2h"\n[store]\ndata_source = "/x"\n',
  );
  const c = loadJobsConfig({file, env: {JOBS_MAXCONCURRENTJOBS: '6', API_SECURITY_ALLOWSELFREGISTRATION: 'true'}});
  expect(c.jobs.maxConcurrentJobs).toBe(6);
  expect(c.jobs.failedJobsRetentionMinutes).toBe(120);
  expect(c.store.dataSource).toBe('/x');
  expect(c.api.allowSelfRegistration).toBe(true);
  fs.rmSync(dir, {recursive: true, force: true});
});

test('retention: Nm, Nh, Nd, at least a minute, 0 keeps forever', () => {
  expect(parseRetention('30m', 'x')).toBe(30);
  expect(parseRetention('12h', 'x')).toBe(720);
  expect(parseRetention('7d', 'x')).toBe(10080);
  expect(parseRetention('0', 'x')).toBe(0);
  for (const bad of ['0m', '30s', '1.5h', 'h', '-1d', 'forever'])
    expect(() => parseRetention(bad, 'JOBS_FAILEDJOBSRETENTIONTIME')).toThrow(ServiceConfigError);
  expect(() => loadJobsConfig({env: {JOBS_MAXCONCURRENTJOBS: '0'}})).toThrow(/max_concurrent_jobs/);
  expect(() => loadJobsConfig({env: {API_HTTP_LISTENADDRESS: 'nope'}})).toThrow(/listen_address/);
});
