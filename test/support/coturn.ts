// A real coturn (Debian's turnserver) on loopback with TURN REST credentials (use-auth-secret), for tests of
// TURN as users meet it: an ephemeral listening port, a small relay port range, stopped by the test.
import {spawn, type ChildProcess} from 'node:child_process';
import fs from 'node:fs';
import {waitFor} from './wait';
import {freePort} from './ports';

export const TURNSERVER = '/usr/bin/turnserver';

export interface Coturn {
  port: number;
  secret: string;
  log(): string;
  stop(): Promise<void>;
}

export interface CoturnOptions {
  /** coturn's verbose log (`-v`): allocations with their usernames, for tests that check who allocated. */
  verbose?: boolean;
}

/** Starts coturn on 127.0.0.1 (UDP and TCP on one port), relaying on loopback. */
export async function startCoturn(secret: string, relayPortBase: number, opts: CoturnOptions = {}): Promise<Coturn> {
  if (!fs.existsSync(TURNSERVER))
    throw new Error('coturn is not installed: npm test installs it (apt-get install coturn)');
  const port = await freePort();
  let out = '';
  const proc: ChildProcess = spawn(
    TURNSERVER,
    [
      '-n',
      '--listening-ip=127.0.0.1',
      '--relay-ip=127.0.0.1',
      `--listening-port=${port}`,
      '--use-auth-secret',
      `--static-auth-secret=${secret}`,
      '--realm=calls.test',
      '--no-tls',
      '--no-dtls',
      '--no-cli',
      '--allow-loopback-peers',
      `--min-port=${relayPortBase}`,
      `--max-port=${relayPortBase + 19}`,
      '--log-file=stdout',
      '--simple-log',
      ...(opts.verbose ? ['-v'] : []),
    ],
    {stdio: ['ignore', 'pipe', 'pipe']},
  );
  proc.stdout!.on('data', (d) => (out += String(d)));
  proc.stderr!.on('data', (d) => (out += String(d)));
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
  };
  try {
    await waitFor(() => /listener opened on|Total General servers/i.test(out), 10_000, 'coturn listening');
  } catch (err) {
    // A coturn that never got ready is not left behind.
    await stop();
    throw err;
  }
  return {port, secret, log: () => out, stop};
}
