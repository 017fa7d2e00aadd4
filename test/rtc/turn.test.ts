// Server-side TURN against a real coturn (Debian) on loopback, with TURN REST credentials from the static
// auth secret: the SFU allocates a relay with per-session credentials, advertises it, and a client that
// only learns the relay candidate completes ICE checks through it. (Forcing the media onto the relay would
// need hosts that cannot reach each other directly; on one loopback ICE may also pick a direct pair.)
import {newId} from '../../server/src/ids';
import type {EmbeddedRtcServer} from '../../server/src/rtc';
import type {RtcSignal} from '../../server/src/rtc/types';
import {TestClient, type SignalingPort} from './support/client';
import {directSignaling, newSession, speak, speech, startServer} from './support/harness';
import {sleep, waitFor} from '../support/wait';
import {startCoturn, type Coturn} from '../support/coturn';

jest.setTimeout(60_000);

const SECRET = 'turn-test-secret';

const stripCandidates = (sdp: string, keep: (line: string) => boolean) =>
  sdp
    .split('\r\n')
    .filter((l) => !l.startsWith('a=candidate:') || keep(l))
    .join('\r\n');

/** A client that only learns the server's relay candidates (its own candidates still reach the server,
 * which needs them for its TURN permissions). */
function relayOnly(inner: SignalingPort): SignalingPort {
  return {
    send: (m) => inner.send(m),
    onSignal: (sid, fn) =>
      inner.onSignal(sid, (s: RtcSignal) => {
        if (s.type === 'ice') {
          if (s.data.candidate && !/ typ relay/.test(s.data.candidate)) return;
          return fn(s);
        }
        return fn({type: 'sdp', data: {...s.data, sdp: stripCandidates(s.data.sdp, (l) => / typ relay/.test(l))}});
      }),
  };
}

describe('server-side TURN (coturn)', () => {
  let turn: Coturn | undefined;
  let server: EmbeddedRtcServer;
  const clients: TestClient[] = [];
  const stops: (() => void)[] = [];

  beforeAll(async () => {
    turn = await startCoturn(SECRET, 40000 + (process.pid % 1000) * 20, {verbose: true});
    server = await startServer({
      iceServers: [{urls: [`turn:127.0.0.1:${turn.port}?transport=udp`]}],
      turnStaticAuthSecret: SECRET,
      serverSideTURN: true,
      timeouts: {stunDiscoveryMs: 500},
    });
  });

  afterAll(async () => {
    for (const s of stops) s();
    await Promise.all(clients.map((c) => c.close()));
    await server?.close();
    await turn?.stop();
  });

  it('allocates a relay per session with <expiry>:<sessionID> credentials; ICE checks succeed through it', async () => {
    const callID = newId();
    const join = async (relay: boolean) => {
      const sessionID = await newSession(server, callID);
      const sig = directSignaling(server);
      const c = new TestClient({
        sessionID,
        signaling: relay ? relayOnly(sig) : sig,
        pairFilter: relay ? (pair) => pair.remoteCandidate.type === 'relay' : undefined,
      });
      clients.push(c);
      await c.start();
      return c;
    };
    const a = await join(false);
    const b = await join(true);
    await a.waitConnected();
    await b.waitConnected();
    // The SFU advertised a relay candidate on coturn's relay range to B.
    await waitFor(() => b.serverCandidates.some((c) => / typ relay/.test(c)), 10_000, 'a relay candidate from the SFU');
    // coturn saw an allocation authenticated with B's session id as the TURN username.
    await waitFor(
      () => new RegExp(`\\d+:${b.sessionID}`).test(turn!.log()),
      10_000,
      'coturn allocation for the session',
    );
    // An ICE check from B to the SFU's relay candidate went through coturn to the SFU and back.
    const conn = b.pc.iceTransports[0].connection as unknown as {
      checkList: {remoteCandidate: {type: string}; state: number}[];
    };
    await waitFor(
      () => conn.checkList.some((p) => p.remoteCandidate.type === 'relay' && p.state === 3 /* SUCCEEDED */),
      10_000,
      'a succeeded check over the relay',
    );
    // And media flows (over whichever pair ICE chose: on loopback the direct path also works).
    await speak(b, 'mic-b', speech, stops);
    await waitFor(() => a.packetsFrom('voice', b.sessionID) >= 20, 15_000, 'A hearing B');
    await sleep(100);
  });
});
