import {setListenerErrorReporter, TypedEmitter} from './events';

interface Events {
  rejected: [id: string, fatal: boolean];
  close: [reason: string];
}

class Thing extends TypedEmitter<Events> {
  fire<K extends keyof Events & string>(event: K, ...args: Events[K]): boolean {
    return this.emit(event, ...args);
  }
}

describe('TypedEmitter', () => {
  const reported: {err: unknown; event: string}[] = [];
  beforeAll(() => setListenerErrorReporter((err, event) => reported.push({err, event})));
  beforeEach(() => (reported.length = 0));

  it('emitting an event nobody listens to is a no-op, whatever its name', () => {
    const t = new Thing();
    expect(t.fire('rejected', 'a', true)).toBe(false);
    expect(t.fire('close', 'bye')).toBe(false);
  });

  it('refuses an event map with an "error" event at compile time', () => {
    // @ts-expect-error an 'error' event is what ends a Node process when nobody listens
    class Bad extends TypedEmitter<{error: [Error]}> {}
    expect(Bad).toBeDefined();
  });

  it('runs every listener even when one throws or rejects, and reports the failures', async () => {
    const t = new Thing();
    const seen: string[] = [];
    t.on('close', () => {
      throw new Error('boom');
    });
    t.on('close', (r) => seen.push(r));
    t.on('close', async () => {
      throw new Error('async boom');
    });
    expect(t.fire('close', 'x')).toBe(true);
    expect(seen).toEqual(['x']);
    await new Promise((r) => setImmediate(r));
    expect(reported.map((r) => [r.event, (r.err as Error).message])).toEqual([
      ['close', 'boom'],
      ['close', 'async boom'],
    ]);
  });

  it('once, off and listener counts behave as node:events', () => {
    const t = new Thing();
    const calls: string[] = [];
    const keep = (r: string) => calls.push(`keep:${r}`);
    t.once('close', (r) => calls.push(`once:${r}`));
    t.on('close', keep);
    expect(t.listenerCount('close')).toBe(2);
    t.fire('close', '1');
    t.fire('close', '2');
    t.off('close', keep);
    t.fire('close', '3');
    expect(calls).toEqual(['once:1', 'keep:1', 'keep:2']);
    expect(t.listenerCount('close')).toBe(0);
  });

  it('a listener added during an emit runs from the next emit on', () => {
    const t = new Thing();
    const calls: string[] = [];
    t.on('close', () => {
      calls.push('first');
      t.on('close', () => calls.push('added'));
    });
    t.fire('close', 'a');
    expect(calls).toEqual(['first']);
  });
});
