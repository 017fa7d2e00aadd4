// A health probe in a process of its own: GET /version on each node every 250 ms, timed there, so a
// busy test process (it builds the fuzz inputs and runs three werift peers) does not count as a hang of
// the server.
import {spawn} from 'node:child_process';

const SCRIPT = `
const urls = process.argv.slice(1);
let stop = false;
process.stdin.on('data', () => { stop = true; });
process.stdin.on('end', () => { stop = true; });
(async () => {
  while (!stop) {
    for (const url of urls) {
      const t0 = Date.now();
      let outcome;
      try {
        const res = await fetch(url + '/plugins/com.mattermost.calls/version', {signal: AbortSignal.timeout(15000)});
        await res.text();
        outcome = String(res.status);
      } catch (err) {
        outcome = 'error: ' + err.message;
      }
      process.stdout.write(JSON.stringify({url, ms: Date.now() - t0, outcome}) + '\\n');
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  process.exit(0);
})();
`;

export interface ProbeResult {
  slowestMs: number;
  probes: number;
  failures: string[];
}

export function startProbe(urls: string[]): {stop(): Promise<ProbeResult>} {
  const child = spawn(process.execPath, ['-e', SCRIPT, ...urls], {stdio: ['pipe', 'pipe', 'inherit']});
  const result: ProbeResult = {slowestMs: 0, probes: 0, failures: []};
  let buf = '';
  child.stdout.on('data', (d: Buffer) => {
    buf += String(d);
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      const p = JSON.parse(line) as {url: string; ms: number; outcome: string};
      result.probes++;
      result.slowestMs = Math.max(result.slowestMs, p.ms);
      if (p.outcome !== '200') result.failures.push(`${p.url}: ${p.outcome} after ${p.ms} ms`);
    }
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    async stop() {
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
      return result;
    },
  };
}
