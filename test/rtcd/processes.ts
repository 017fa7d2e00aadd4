// rtcd services as real child processes (build/rtcd.mjs -config <file>), each on its own loopback address
// and all on one API port behind a name served by a DNS server on loopback, as a plugin finds them in
// production. Each runs in its own process group, so `kill(ip)` is a host dying: SIGKILL to the service,
// its tsx wrapper and its media workers at once, no goodbye on any socket.
import {spawn, type ChildProcess} from 'node:child_process';
import dgram from 'node:dgram';
import dns from 'node:dns';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {startDnsServer, type TestDnsServer} from '../support/dns-server';
import {writeRtcdConfig} from '../support/rtcd-config';
import {waitFor} from '../support/wait';

const ROOT = path.resolve(__dirname, '..', '..');

export interface RtcdProcessFleet {
  readonly name: string;
  readonly port: number;
  readonly dns: TestDnsServer;
  /** The service URL a plugin is given. */
  readonly url: string;
  /** By address; a killed host is removed. */
  readonly procs: Map<string, ChildProcess>;
  /** Each host's log file (stdout and stderr). */
  readonly logs: Map<string, string>;
  resolve4(name: string): Promise<string[]>;
  /** SIGKILL of the host's whole process group; resolves when it is gone. */
  kill(ip: string): Promise<void>;
  close(): Promise<void>;
}

/** Whether a TCP and a UDP socket can bind `port` on every address (upstream's range is 80–49151). */
async function portFree(port: number, ips: string[]): Promise<boolean> {
  for (const ip of ips) {
    const tcp = await new Promise<boolean>((resolve) => {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen(port, ip, () => s.close(() => resolve(true)));
    });
    if (!tcp) return false;
    const udp = await new Promise<boolean>((resolve) => {
      const s = dgram.createSocket('udp4');
      s.once('error', () => resolve(false));
      s.bind(port, ip, () => s.close(() => resolve(true)));
    });
    if (!udp) return false;
  }
  return true;
}

async function freePorts(count: number, ips: string[]): Promise<number[]> {
  const got: number[] = [];
  while (got.length < count) {
    const p = 20_000 + Math.floor(Math.random() * 25_000);
    if (!got.includes(p) && (await portFree(p, ips))) got.push(p);
  }
  return got;
}

/** Starts one rtcd process per address (self-registration on, one media worker) and the DNS name for them. */
export async function startRtcdProcesses(name: string, ips: string[]): Promise<RtcdProcessFleet> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rtcd-procs-'));
  const [apiPort, rtcPort] = await freePorts(2, ips);
  const procs = new Map<string, ChildProcess>();
  const logs = new Map<string, string>();
  for (const ip of ips) {
    const hostDir = path.join(dir, ip);
    fs.mkdirSync(hostDir);
    const configFile = writeRtcdConfig({ip, apiPort, rtcPort, workers: 1, dataDir: hostDir});
    const log = path.join(hostDir, 'rtcd.log');
    logs.set(ip, log);
    const out = fs.openSync(log, 'a');
    const child = spawn(process.execPath, [path.join(ROOT, 'build', 'rtcd.mjs'), '-config', configFile], {
      cwd: ROOT,
      detached: true,
      stdio: ['ignore', out, out],
      env: {...process.env, NODE_ENV: 'test'},
    });
    fs.closeSync(out);
    procs.set(ip, child);
  }
  // Ready when each answers /version on its own address.
  for (const ip of ips) {
    await waitFor(
      async () => {
        if (procs.get(ip)?.exitCode !== null)
          throw new Error(`rtcd on ${ip} exited: ${fs.readFileSync(logs.get(ip)!)}`);
        return fetch(`http://${ip}:${apiPort}/version`).then(
          (r) => r.ok,
          () => false,
        );
      },
      30_000,
      `rtcd on ${ip} answering`,
      200,
    );
  }
  const dnsServer = await startDnsServer({[name]: ips});
  const resolver = new dns.promises.Resolver({timeout: 1000, tries: 1});
  resolver.setServers([dnsServer.address]);
  const killGroup = async (ip: string, signal: NodeJS.Signals) => {
    const child = procs.get(ip);
    if (!child?.pid) return;
    procs.delete(ip);
    const exited = new Promise<void>((resolve) =>
      child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve()),
    );
    try {
      process.kill(-child.pid, signal);
    } catch {
      // Already gone.
    }
    await exited;
  };
  return {
    name,
    port: apiPort,
    dns: dnsServer,
    url: `http://${name}:${apiPort}`,
    procs,
    logs,
    resolve4: (n) => resolver.resolve4(n),
    kill: (ip) => killGroup(ip, 'SIGKILL'),
    async close() {
      await Promise.all([...procs.keys()].map((ip) => killGroup(ip, 'SIGKILL')));
      await dnsServer.close();
      fs.rmSync(dir, {recursive: true, force: true});
    },
  };
}
