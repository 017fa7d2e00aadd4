// A CPU budget for the server a load test starts: a cgroup with a CFS quota (cgroup v1's cpu
// controller, or v2's cpu.max) that the server and its media workers run in. It stands in for "this many
// cores" on a machine whose cores the load clients also need (the worker-scaling bench). The server
// starts unlimited and the quota applies from the warm-up on, so what is measured is forwarding, not how
// joins (DTLS handshakes) fare on a starved event loop. Needs root.
import fs from 'node:fs';
import path from 'node:path';

/** Short CFS periods keep a throttled server's pauses far below a 20 ms audio frame's buffering. */
const PERIOD_US = 20_000;

export interface CpuLimit {
  /** The cgroup's process list: the server writes its own pid here before it starts. */
  procsFile: string;
  /** Starts enforcing the budget. */
  apply(): void;
  remove(): Promise<void>;
}

function controllerRoot(): {dir: string; v2: boolean} | undefined {
  const v1 = '/sys/fs/cgroup/cpu';
  if (fs.existsSync(path.join(v1, 'cpu.cfs_quota_us'))) return {dir: v1, v2: false};
  const v2 = '/sys/fs/cgroup';
  try {
    if (fs.readFileSync(path.join(v2, 'cgroup.subtree_control'), 'utf8').split(/\s+/).includes('cpu'))
      return {dir: v2, v2: true};
  } catch {
    // no cgroup v2 at /sys/fs/cgroup
  }
  return undefined;
}

/** Creates a cgroup limited to `cores` CPUs; throws, naming the reason, where that is not possible. */
export function createCpuLimit(cores: number): CpuLimit {
  if (!(cores > 0 && cores <= 1024)) throw new Error(`--cpu-limit must be a positive number of cores, not ${cores}`);
  const root = controllerRoot();
  if (!root) throw new Error('--cpu-limit needs the cgroup cpu controller (v1 /sys/fs/cgroup/cpu or v2 cpu.max)');
  const dir = path.join(root.dir, `calls-lt-${process.pid}-${Date.now()}`);
  const quota = Math.round(cores * PERIOD_US);
  const setQuota = (q: number) => {
    if (root.v2) {
      fs.writeFileSync(path.join(dir, 'cpu.max'), `${q < 0 ? 'max' : q} ${PERIOD_US}`);
    } else {
      fs.writeFileSync(path.join(dir, 'cpu.cfs_period_us'), String(PERIOD_US));
      fs.writeFileSync(path.join(dir, 'cpu.cfs_quota_us'), String(q));
    }
  };
  try {
    fs.mkdirSync(dir);
    setQuota(-1);
  } catch (err) {
    fs.rmSync(dir, {force: true, recursive: false});
    throw new Error(`--cpu-limit could not set up a cgroup (${(err as Error).message}); it needs root`);
  }
  return {
    procsFile: path.join(dir, 'cgroup.procs'),
    apply: () => setQuota(quota),
    async remove() {
      // The directory goes once its last process (a worker finishing after the primary) has exited.
      for (let i = 0; i < 50; i++) {
        try {
          fs.rmdirSync(dir);
          return;
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    },
  };
}
