// The config.toml of an rtcd service process for tests and the load test: API and RTC on one address,
// self-registration on, JSON logs.
import fs from 'node:fs';
import path from 'node:path';

export interface RtcdConfigFile {
  ip: string;
  apiPort: number;
  rtcPort: number;
  /** rtc.workers (1: the SFU in the service process). */
  workers: number;
  /** store.data_source; the file is written there too. */
  dataDir: string;
  /** logger.console_level; the service's default when absent. */
  consoleLevel?: string;
}

/** Writes `<dataDir>/config.toml` and returns its path. */
export function writeRtcdConfig(c: RtcdConfigFile): string {
  const file = path.join(c.dataDir, 'config.toml');
  fs.writeFileSync(
    file,
    [
      '[api.http]',
      `listen_address = "${c.ip}:${c.apiPort}"`,
      '[api.security]',
      'allow_self_registration = true',
      '[rtc]',
      `ice_address_udp = "${c.ip}"`,
      `ice_port_udp = ${c.rtcPort}`,
      `ice_address_tcp = "${c.ip}"`,
      `ice_port_tcp = ${c.rtcPort}`,
      `workers = ${c.workers}`,
      '[store]',
      `data_source = "${c.dataDir}"`,
      '[logger]',
      'console_json = true',
      ...(c.consoleLevel ? [`console_level = "${c.consoleLevel}"`] : []),
      '',
    ].join('\n'),
  );
  return file;
}
