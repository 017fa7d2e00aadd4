// A server as its own process (`npm start`'s entry or the TypeScript main), on loopback with ephemeral
// ports, with its output kept and its URL read from the start banner.
import {spawn, type ChildProcess} from 'node:child_process';

export interface ServerProcess {
  child: ChildProcess;
  exited: Promise<number | null>;
  /** From the start banner; rejects with the output when the process exits first. */
  url: Promise<string>;
  output(): string;
}

/** The environment every test server process gets: loopback, port 0, JSON logs (`env` adds and overrides). */
export function loopbackServerEnv(env: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    MM_CALLS_HTTP_HOST: '127.0.0.1',
    MM_CALLS_HTTP_PORT: '0',
    MM_CALLS_UDP_SERVER_PORT: '0',
    MM_CALLS_TCP_SERVER_PORT: '0',
    MM_CALLS_UDP_SERVER_ADDRESS: '127.0.0.1',
    MM_CALLS_TCP_SERVER_ADDRESS: '127.0.0.1',
    MM_CALLS_LOG_JSON: 'true',
    ...env,
  };
}

export function spawnServer(args: string[], cwd: string, env: Record<string, string> = {}): ServerProcess {
  const child = spawn(process.execPath, args, {cwd, env: loopbackServerEnv(env), stdio: ['ignore', 'pipe', 'pipe']});
  let out = '';
  child.stdout.on('data', (d) => (out += String(d)));
  child.stderr.on('data', (d) => (out += String(d)));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const url = new Promise<string>((resolve, reject) => {
    const t = setInterval(() => {
      const m = /Calls is running at (http:\/\/\S+)/.exec(out);
      if (m) {
        clearInterval(t);
        resolve(m[1]);
      }
    }, 50);
    void exited.then(() => {
      clearInterval(t);
      reject(new Error(`server exited: ${out}`));
    });
  });
  return {child, exited, url, output: () => out};
}
