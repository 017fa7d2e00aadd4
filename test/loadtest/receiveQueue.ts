// How far behind the SFU is, read from the kernel: the bytes waiting in the receive buffers of the UDP sockets bound
// to its RTC port (/proc/net/udp and udp6, every socket of that port: the shared one and media workers' per-client
// ones). A window opened while a backlog drains counts packets sent before it (a 1×1000×2 run printed a delivery of
// 1.12 with ≈ 2.4 s of packets queued at the start), so the load test opens its window once the queue is short.
import fs from 'node:fs';

/** Queued bytes (the kernel's buffer accounting, ≈ 0.7–1.3 KB per small datagram), undefined if no socket has `port`. */
export function udpReceiveQueued(port: number, tables = ['/proc/net/udp', '/proc/net/udp6']): number | undefined {
  let queued: number | undefined;
  for (const table of tables) {
    let text: string;
    try {
      text = fs.readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      // "  sl  local_address rem_address   st tx_queue:rx_queue …", addresses and queues in hex.
      const f = line.trim().split(/\s+/);
      if (f.length < 5) continue;
      const localPort = parseInt(f[1].split(':')[1] ?? '', 16);
      if (localPort !== port) continue;
      queued = (queued ?? 0) + parseInt(f[4].split(':')[1] ?? '0', 16);
    }
  }
  return queued;
}

export interface DrainResult {
  /** Whether the queue came under the bound (false: it was still longer when `maxMs` ran out). */
  drained: boolean;
  waitedMs: number;
  /** Queued bytes at the last reading; undefined when the port is not on this machine (a remote server). */
  queuedBytes?: number;
}

/**
 * Waits until the receive queue of `port` stays at most `quietBytes` for three readings 100 ms apart, or `maxMs`
 * passes. Returns at once for a port not on this machine.
 */
export async function waitForReceiveDrain(
  port: number,
  quietBytes: number,
  maxMs: number,
  onWait?: (queuedBytes: number) => void,
): Promise<DrainResult> {
  const started = Date.now();
  let quiet = 0;
  for (;;) {
    const queuedBytes = udpReceiveQueued(port);
    if (queuedBytes === undefined) return {drained: true, waitedMs: 0};
    quiet = queuedBytes <= quietBytes ? quiet + 1 : 0;
    const waitedMs = Date.now() - started;
    if (quiet >= 3) return {drained: true, waitedMs, queuedBytes};
    if (waitedMs >= maxMs) return {drained: false, waitedMs, queuedBytes};
    onWait?.(queuedBytes);
    await new Promise((r) => setTimeout(r, 100));
  }
}
