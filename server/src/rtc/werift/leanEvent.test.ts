// LeanEvent against werift's own Event: the same script of subscribes, executes, unsubscribes (also from inside a
// handler), queued subscribers, once, watch, asPromise, error and complete, with methods used detached as werift
// uses them, must leave the same trace; and once installed, werift's peer connections are built from it.
import {spawnSync} from 'node:child_process';
import path from 'node:path';
import {RTCPeerConnection} from 'werift';
import {LeanEvent, installLeanEvents, weriftOriginalEvent} from './leanEvent';

type AnyEvent = InstanceType<typeof LeanEvent>;

async function script(EventClass: new () => AnyEvent): Promise<unknown[]> {
  const trace: unknown[] = [];
  const tick = () => new Promise((r) => setImmediate(r));
  const ev = new EventClass();
  const {execute, subscribe} = ev; // detached, as werift passes them around
  const a = subscribe((x) => trace.push(['a', x]));
  const late: {unSubscribe: () => void}[] = [];
  subscribe((x) => {
    trace.push(['b', x]);
    // Subscribing during an execute: the new handler runs in the same round (werift pushes onto the live stack).
    if (late.length === 0) late.push(ev.subscribe((y) => trace.push(['late', y])));
  });
  ev.queuingSubscribe(async (x) => {
    await tick();
    trace.push(['queued', x]);
  });
  ev.once((x) => trace.push(['once', x]));
  execute(1);
  trace.push(['length', ev.length]);
  a.unSubscribe();
  execute(2);
  await tick();
  await tick();
  const watched = ev.watch((x) => x === 4);
  const promised = ev.asPromise();
  execute(3);
  execute(4);
  trace.push(['watch', await watched, 'asPromise', await promised]);
  const other = new EventClass();
  other.subscribe((x) => trace.push(['piped', x]));
  ev.pipe(other);
  const {execute: trigger, error, complete} = ev.returnTrigger;
  trigger(5);
  ev.subscribe(
    () => undefined,
    () => trace.push('complete handler'),
    (e) => trace.push(['error handler', e]),
  );
  error('boom');
  trace.push(['after error length', ev.length]);
  ev.subscribe(
    () => undefined,
    () => trace.push('complete handler 2'),
  );
  ev.onended = () => trace.push('onended');
  const failing = new EventClass();
  failing.onerror = (e) => trace.push(['onerror', String(e)]);
  failing.queuingSubscribe(async () => {
    throw new Error('queued failure');
  });
  failing.execute();
  await tick();
  complete();
  trace.push(['ended', ev.ended, 'length', ev.length]);
  execute(6);
  let threw = '';
  try {
    ev.queuingSubscribe(async () => undefined);
  } catch (e) {
    threw = (e as Error).message;
  }
  trace.push(['queuingSubscribe after complete', threw]);
  const timed = new EventClass();
  trace.push(['asPromise timeout', await timed.asPromise(5).catch((e: unknown) => e)]);
  const done = new EventClass();
  const waiting = done.asPromise();
  done.complete();
  trace.push(['asPromise on complete', await waiting]);
  // A handler that subscribes to another event and fires it; one that unsubscribes a later handler mid-round.
  const outer = new EventClass();
  const inner = new EventClass();
  outer.subscribe((x) => {
    inner.subscribe((y) => trace.push(['inner', x, y]));
    inner.execute('from outer');
  });
  outer.execute(1);
  inner.execute(2);
  const cutting = new EventClass();
  const handles: {unSubscribe: () => void}[] = [];
  cutting.subscribe(() => {
    trace.push('first');
    handles[0].unSubscribe();
  });
  handles.push(cutting.subscribe(() => trace.push('second')));
  cutting.execute();
  cutting.execute();
  trace.push(['after cut length', cutting.length]);
  // A method assigned on an instance replaces it, as werift's writable fields allow.
  const replaced = new EventClass();
  replaced.execute = () => trace.push('replaced');
  replaced.execute();
  return trace;
}

describe('LeanEvent', () => {
  it("leaves the same trace as werift's Event", async () => {
    const original = weriftOriginalEvent() as new () => AnyEvent;
    expect(original).not.toBe(LeanEvent);
    const expected = await script(original);
    expect(expected.length).toBeGreaterThan(15);
    expect(await script(LeanEvent)).toEqual(expected);
  });

  it('keeps a subscriber list no larger than it is (werift pushes onto arrays that keep room for 17)', () => {
    // Measured in a process of its own: jest's own allocations move the heap by more than the bytes at stake.
    const probe = `
      const mod = await import(${JSON.stringify(path.join(__dirname, 'leanEvent.ts'))});
      const {LeanEvent} = mod.LeanEvent ? mod : mod.default;
      const handler = () => undefined;
      const each = (make) => {
        const once = () => {
          gc();
          const before = process.memoryUsage().heapUsed;
          const held = Array.from({length: 20000}, make);
          gc();
          return held.length && (process.memoryUsage().heapUsed - before) / 20000;
        };
        return [once(), once(), once()].sort((a, b) => a - b)[1];
      };
      // Reading subscribe binds it to the instance: the baseline has that too.
      const bare = each(() => { const ev = new LeanEvent(); void ev.subscribe; return ev; });
      const one = each(() => { const ev = new LeanEvent(); ev.subscribe(handler); return ev; });
      const twoThenOne = each(() => {
        const ev = new LeanEvent();
        ev.subscribe(handler);
        ev.subscribe(handler).unSubscribe();
        return ev;
      });
      console.log(JSON.stringify({one: one - bare, twoThenOne: twoThenOne - bare}));`;
    const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', probe], {
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    const added = JSON.parse(r.stdout) as {one: number; twoThenOne: number};
    // One subscriber: its record (≈ 56 bytes) and a one-slot list (≈ 56), not a 17-slot one (≈ 184).
    expect(added.one).toBeLessThan(150);
    expect(added.twoThenOne).toBeLessThan(150);
  });

  it("is what werift's peer connections are built from once installed", async () => {
    installLeanEvents();
    const pc = new RTCPeerConnection();
    try {
      expect(pc.connectionStateChange).toBeInstanceOf(LeanEvent);
      expect(pc.onDataChannel).toBeInstanceOf(LeanEvent);
    } finally {
      await pc.close();
    }
  });
});
