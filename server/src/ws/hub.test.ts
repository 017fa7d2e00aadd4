// The hub's delivery of a long burst of events (a mass leave's user_left per session to every socket of the
// channel): every event reaches every member's connection once and in publish order, and the event loop gets turns
// while the burst is delivered, so timers and network I/O (ICE consent answers) are not held up behind it.
import {silentLogger} from '../log';
import {Hub, type HubConnection} from './hub';
import type {WebSocketEvent} from './types';

/** A connection whose send costs `costMs` of CPU, as writing to a real socket does in bulk. */
function slowConn(id: string, userID: string, got: string[], costMs: number): HubConnection {
  return {
    id,
    userID,
    send(ev: WebSocketEvent) {
      const until = performance.now() + costMs;
      while (performance.now() < until);
      got.push(String(ev.data.n));
    },
  };
}

test('a burst of channel events reaches everyone in order, and the event loop turns while it is delivered', async () => {
  const members = ['u1', 'u2', 'u3', 'u4'];
  const hub = new Hub({logger: silentLogger(), channelMemberIDs: async () => members});
  const got = members.map(() => [] as string[]);
  members.forEach((u, i) => hub.register(slowConn(`c${i}`, u, got[i], 0.5)));

  const events = 60; // × 4 sockets × 0.5 ms: about 120 ms of sends
  for (let n = 0; n < events; n++) hub.publish('user_left', {n}, {channel_id: 'ch'});
  let deliveredWhenLoopTurned = -1;
  setImmediate(() => (deliveredWhenLoopTurned = got[0].length));
  await hub.flush();

  const all = Array.from({length: events}, (_, n) => String(n));
  for (const g of got) expect(g).toEqual(all);
  // The loop turned before the burst was through (one unbroken chain of microtasks would deliver all 60 first).
  expect(deliveredWhenLoopTurned).toBeGreaterThanOrEqual(0);
  expect(deliveredWhenLoopTurned).toBeLessThan(events);
});
