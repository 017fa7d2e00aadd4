// Records a CPU profile of the server process for exactly the measurement window, through the V8
// inspector (the server runs with --inspect on a loopback port): joins and warm-up stay out of it.
import fs from 'node:fs';
import WebSocket from 'ws';

export class WindowProfiler {
  readonly #ws: WebSocket;
  #id = 0;
  readonly #pending = new Map<number, (result: unknown) => void>();

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.on('message', (raw) => {
      const msg = JSON.parse(String(raw)) as {id?: number; result?: unknown};
      if (msg.id !== undefined) this.#pending.get(msg.id)?.(msg.result);
    });
  }

  static async connect(port: number): Promise<WindowProfiler> {
    const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json() as {webSocketDebuggerUrl: string}[];
    const ws = new WebSocket(targets[0].webSocketDebuggerUrl);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new WindowProfiler(ws);
  }

  #send(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    const id = ++this.#id;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      this.#ws.send(JSON.stringify({id, method, params}));
    });
  }

  async start(intervalUs = 500): Promise<void> {
    await this.#send('Profiler.enable');
    await this.#send('Profiler.setSamplingInterval', {interval: intervalUs});
    await this.#send('Profiler.start');
  }

  async stop(file: string): Promise<void> {
    const result = await this.#send('Profiler.stop') as {profile: unknown};
    fs.writeFileSync(file, JSON.stringify(result.profile));
    this.#ws.close();
  }
}
