// The admin report's address verdicts on a machine whose interfaces carry a container-looking address: a
// network namespace (unshare -rn) where 172.17.0.2 sits beside loopback, as inside a Docker container. Without
// ICEHostOverride it is an error; with one, only a warning and the override is what browsers get.
import {spawnSync} from 'node:child_process';
import path from 'node:path';

jest.setTimeout(60_000);

const MAIN = path.resolve(__dirname, '../support/connectivity-report-main.ts');

function reportInNamespace(settings: string[]): {
  rtc: {advertised: {address: string; kind: string; level: string; transport: string}[]};
} {
  const script = `ip link set lo up && ip addr add 172.17.0.2/32 dev lo && exec "${process.execPath}" --import tsx "${MAIN}" ${settings.map((s) => `'${s}'`).join(' ')}`;
  const r = spawnSync('unshare', ['-rn', 'sh', '-c', script], {encoding: 'utf8', timeout: 45_000});
  const line = r.stdout.split('\n').find((l) => l.startsWith('REPORT '));
  if (!line) throw new Error(`no report (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(line.slice('REPORT '.length));
}

test('a container address advertised without ICEHostOverride is an error; with an override the override is advertised', () => {
  const plain = reportInNamespace([]);
  expect(plain.rtc.advertised).toEqual(
    expect.arrayContaining([
      expect.objectContaining({transport: 'udp', address: '172.17.0.2', kind: 'container', level: 'error'}),
      expect.objectContaining({transport: 'udp', address: '127.0.0.1', kind: 'loopback', level: 'warning'}),
    ]),
  );
  const overridden = reportInNamespace(['MM_CALLS_ICE_HOST_OVERRIDE=8.8.8.8']);
  const udp = overridden.rtc.advertised.filter((c) => c.transport === 'udp');
  expect(udp).toEqual(
    expect.arrayContaining([expect.objectContaining({address: '8.8.8.8', kind: 'public', level: 'ok'})]),
  );
  expect(udp.some((c) => c.address === '172.17.0.2')).toBe(false);
});
