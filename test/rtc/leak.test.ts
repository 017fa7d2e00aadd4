// Teardown cannot leak: 50 join/leave cycles (half closed by the server, half by the client hanging
// up, which the SFU must notice on its own) leave no session, mux entry, socket or timer behind.
import {newId} from '../../server/src/ids';
import type {EmbeddedRtcServer} from '../../server/src/rtc';
import {join, speech, startAudio, startServer} from './support/harness';
import {sleep, waitFor} from '../support/wait';

jest.setTimeout(120_000);

function resources(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of (process as unknown as {getActiveResourcesInfo(): string[]}).getActiveResourcesInfo())
    out[r] = (out[r] ?? 0) + 1;
  return out;
}

function exceeds(now: Record<string, number>, base: Record<string, number>): string[] {
  return Object.keys(now)
    .filter((k) => now[k] > (base[k] ?? 0))
    .map((k) => `${k}: ${base[k] ?? 0} → ${now[k]}`);
}

describe('teardown', () => {
  let server: EmbeddedRtcServer;
  const closed = new Map<string, string>();

  beforeAll(async () => {
    server = await startServer();
    server.on('close', (id, reason) => closed.set(id, reason));
  });

  afterAll(async () => {
    await server.close();
  });

  it('leaves nothing behind after 50 join/leave cycles', async () => {
    const callID = newId();
    // A steady member keeps the call alive, so every cycle also adds and removes its forwarded track.
    const host = await join(server, {callID});
    const hostMic = await host.addTrack('audio', 'mic');
    const stopHost = startAudio(host, hostMic.track, hostMic.transceiver, speech);
    let current: Awaited<ReturnType<typeof join>> | undefined;
    try {
      await sleep(300);
      const base = resources();

      for (let i = 0; i < 50; i++) {
        const c = await join(server, {callID});
        current = c;
        await waitFor(() => c.packetsFrom('voice', host.sessionID) > 0, 10_000, `cycle ${i} receiving`);
        if (i % 2 === 0) {
          await server.closeSession(c.sessionID);
          await c.close();
        } else {
          await c.close();
          await waitFor(() => closed.has(c.sessionID), 10_000, `cycle ${i}: server noticing the hang-up`);
        }
        expect(closed.has(c.sessionID)).toBe(true);
      }

      expect(await server.getStats()).toMatchObject({sessions: 1, calls: 1, muxEndpoints: 1});
      // The host's renegotiations settle; its peer connection keeps only what one session needs.
      await waitFor(
        async () => (await server.inspect(host.sessionID))?.receiving.length === 0,
        10_000,
        'host receiving nothing',
      );
      // Sockets and timers return to what one connected session used before the cycles.
      let extra: string[] = [];
      for (let t = 0; t < 100; t++) {
        extra = exceeds(resources(), base);
        if (extra.length === 0) break;
        await sleep(100);
      }
      expect(extra).toEqual([]);
    } finally {
      stopHost();
      await current?.close();
      await host.close();
    }
    await server.closeSession(host.sessionID);
    expect(await server.getStats()).toMatchObject({sessions: 0, calls: 0, muxEndpoints: 0});
  });
});
