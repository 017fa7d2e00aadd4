// A track published at the moment a subscriber's server renegotiation is finishing still reaches the subscriber
// (the DM video defect: B was sometimes never offered A's camera). The publication is made to land exactly in
// that moment: A's video_on is sent from the SFU's own log line that ends B's renegotiation rounds.
import pino from 'pino';
import {newId} from '../../server/src/ids';
import {createRtcServer, type EmbeddedRtcServer} from '../../server/src/rtc';
import {join, speak, speech, startVideo, testOptions, useRtcServer} from './support/harness';
import {waitFor} from '../support/wait';

jest.setTimeout(60_000);

/** The log line a subscriber's renegotiation loop writes when it has no more rounds to run. */
const ROUNDS_DONE = 'server renegotiation rounds done';

describe('subscription while a renegotiation ends', () => {
  let server: EmbeddedRtcServer;
  /** Called synchronously for every log line the SFU writes. */
  let onLog: (line: {msg?: string; sessionID?: string}) => void = () => {};
  const {clients, stops} = useRtcServer(
    (s) => (server = s),
    () => {
      // pino writes each line synchronously to a plain stream: the hook runs inside the logging call. In-process
      // (one worker, even under RTC_WORKERS=2): a media worker process logs with a logger of its own.
      const logger = pino({level: 'debug'}, {write: (line: string) => onLog(JSON.parse(line))});
      return createRtcServer(testOptions({enableVideo: true, workers: 1}), logger);
    },
  );

  it("B is offered A's camera published just as B's renegotiation ends", async () => {
    const callID = newId();
    const a = await join(server, {callID});
    clients.push(a);
    await speak(a, 'mic-a', speech, stops);
    // The camera is negotiated before video_on, so video_on alone publishes it (as when the announcement comes late).
    const cam = await a.addTrack('video', 'camera-a');
    stops.push(startVideo(a, cam.track, cam.transceiver));

    const bID = newId();
    let fired = false;
    onLog = (line) => {
      if (fired || line.msg !== ROUNDS_DONE || line.sessionID !== bID) return;
      fired = true;
      server.send({type: 'video_on', sessionID: a.sessionID, data: {videoStreamID: 'camera-a'}});
    };
    const b = await join(server, {callID, sessionID: bID});
    clients.push(b);

    await waitFor(() => b.packetsFrom('voice', a.sessionID) >= 10, 10_000, 'B receiving voice');
    expect(fired).toBe(true);
    await waitFor(() => b.packetsFrom('video', a.sessionID) >= 10, 10_000, "B receiving A's camera");
  });
});
