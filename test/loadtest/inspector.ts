// The server process's V8 inspector (it runs with --inspect on a loopback port): a CPU profile of
// exactly the measurement window (joins and warm-up stay out of it), and for the abuse scenario a forced
// GC, the heap figures and heap snapshots to compare before and after.
import fs from 'node:fs';
import WebSocket from 'ws';

class InspectorSession {
  readonly #ws: WebSocket;
  #id = 0;
  readonly #pending = new Map<number, (result: unknown) => void>();
  readonly #listeners = new Map<string, (params: Record<string, unknown>) => void>();

  protected constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.on('message', (raw) => {
      const msg = JSON.parse(String(raw)) as {
        id?: number;
        result?: unknown;
        method?: string;
        params?: Record<string, unknown>;
      };
      if (msg.id !== undefined) {
        this.#pending.get(msg.id)?.(msg.result);
        this.#pending.delete(msg.id);
      } else if (msg.method) this.#listeners.get(msg.method)?.(msg.params ?? {});
    });
  }

  protected static async open(port: number): Promise<WebSocket> {
    const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as {
      webSocketDebuggerUrl: string;
    }[];
    const ws = new WebSocket(targets[0].webSocketDebuggerUrl, {maxPayload: 1 << 30});
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return ws;
  }

  protected send(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    const id = ++this.#id;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      this.#ws.send(JSON.stringify({id, method, params}));
    });
  }

  protected on(method: string, fn: (params: Record<string, unknown>) => void): void {
    this.#listeners.set(method, fn);
  }

  close(): void {
    this.#ws.close();
  }
}

export class WindowProfiler extends InspectorSession {
  static async connect(port: number): Promise<WindowProfiler> {
    return new WindowProfiler(await InspectorSession.open(port));
  }

  async start(intervalUs = 500): Promise<void> {
    await this.send('Profiler.enable');
    await this.send('Profiler.setSamplingInterval', {interval: intervalUs});
    await this.send('Profiler.start');
  }

  async stop(file: string): Promise<void> {
    const result = (await this.send('Profiler.stop')) as {profile: unknown};
    fs.writeFileSync(file, JSON.stringify(result.profile));
    this.close();
  }
}

export interface HeapFigures {
  /** process.memoryUsage() of the inspected process, bytes. */
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}

export class HeapInspector extends InspectorSession {
  static async connect(port: number): Promise<HeapInspector> {
    return new HeapInspector(await InspectorSession.open(port));
  }

  /** A full (major) garbage collection in the inspected process. */
  async collectGarbage(): Promise<void> {
    await this.send('HeapProfiler.enable');
    await this.send('HeapProfiler.collectGarbage');
  }

  async memoryUsage(): Promise<HeapFigures> {
    const r = (await this.send('Runtime.evaluate', {
      expression: 'JSON.stringify(process.memoryUsage())',
      returnByValue: true,
    })) as {result: {value: string}};
    return JSON.parse(r.result.value) as HeapFigures;
  }

  /** Writes a .heapsnapshot (open it in Chrome DevTools › Memory, and compare two). */
  async snapshot(file: string): Promise<void> {
    const out = fs.createWriteStream(file);
    this.on('HeapProfiler.addHeapSnapshotChunk', (p) => out.write(String(p.chunk)));
    await this.send('HeapProfiler.enable');
    await this.send('HeapProfiler.takeHeapSnapshot', {reportProgress: false});
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }
}
