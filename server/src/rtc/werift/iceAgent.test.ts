// settleIceOnCompletion against a stand-in for werift's check scheduler (ice.js schedulingChecks, same rules):
// connect() stops polling once nothing is left to start, pairs that arrive later are still started at the
// same pacing, and an empty check list keeps werift's own loop. And the consent checks' cheap aborts.
import {spawnSync} from 'node:child_process';
import {createRequire} from 'node:module';
import path from 'node:path';
import {RTCPeerConnection} from 'werift';
import {IceAgent} from './iceAgent';
import {settleIceOnCompletion} from './iceSettle';

/** werift's own PQueue, the queue connect() reads the check list's outcome from. */
function weriftQueue(): {queue: unknown[]; put(v: unknown): void; get(): unknown} {
  const load = createRequire(__filename);
  const helper = load(path.join(path.dirname(load.resolve('werift')), '../../ice/src/helper.js')) as {
    PQueue: new () => {queue: unknown[]; put(v: unknown): void; get(): unknown};
  };
  return new helper.PQueue();
}

const FROZEN = 0;
const WAITING = 1;
const IN_PROGRESS = 2;

/** werift's schedulingChecks, reduced to the states it reads: start the first waiting, then frozen, pair. */
function agent(states: number[]) {
  const conn = {
    state: 'checking',
    checkList: states.map((state) => ({state})),
    checkListDone: false,
    remoteCandidatesEnd: false,
    checkListState: weriftQueue(),
    started: 0,
    /** werift's restart() gives the agent a new queue before its first await. */
    restart(): Promise<void> {
      conn.checkListState = weriftQueue();
      return Promise.resolve();
    },
    schedulingChecks(): boolean {
      const pair = conn.checkList.find((p) => p.state === WAITING) ?? conn.checkList.find((p) => p.state === FROZEN);
      if (pair) {
        pair.state = IN_PROGRESS;
        conn.started++;
        return true;
      }
      if (!conn.remoteCandidatesEnd) return !conn.checkListDone;
      return false;
    },
  };
  return conn;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('settleIceOnCompletion', () => {
  it('ends the polling once every pair is started and still starts pairs that arrive later', async () => {
    const conn = agent([WAITING, WAITING]);
    settleIceOnCompletion(conn);
    expect(conn.schedulingChecks()).toBe(true); // first pair started, one still waits: connect() paces on
    // The last pair is started: werift would poll every 20 ms for the outcome; connect() now waits for it.
    expect(conn.schedulingChecks()).toBe(false);
    expect(conn.started).toBe(2);
    // A trickled candidate's pair is started by the pacer within a Ta or two.
    conn.checkList.push({state: WAITING});
    await sleep(60);
    expect(conn.started).toBe(3);
    // Done: the pacer ends (nothing else is started, even if a pair shows up).
    conn.checkListDone = true;
    await sleep(30);
    conn.checkList.push({state: WAITING});
    await sleep(60);
    expect(conn.started).toBe(3);
  });

  it("keeps werift's answer with an empty check list (its completion wait would fail one)", () => {
    const conn = agent([]);
    settleIceOnCompletion(conn);
    expect(conn.schedulingChecks()).toBe(true);
    expect(conn.schedulingChecks()).toBe(true);
  });

  it('hands connect() a success that follows a failure while it waits (werift kept the first waiter)', async () => {
    const conn = agent([WAITING]);
    settleIceOnCompletion(conn);
    const first = conn.checkListState.get() as Promise<unknown>; // connect() waits on an empty queue
    conn.checkListState.put('failed');
    conn.checkListState.put('completed'); // before connect() asks again
    expect(await first).toBe('failed');
    expect(await conn.checkListState.get()).toBe('completed');
    // A restart's new queue behaves the same.
    void conn.restart();
    const next = conn.checkListState.get() as Promise<unknown>;
    conn.checkListState.put('failed');
    conn.checkListState.put('completed');
    expect(await next).toBe('failed');
    expect(await conn.checkListState.get()).toBe('completed');
  });

  it('stops pacing when the agent closes', async () => {
    const conn = agent([WAITING]);
    settleIceOnCompletion(conn);
    expect(conn.schedulingChecks()).toBe(false);
    conn.state = 'closed';
    await sleep(30);
    conn.checkList.push({state: WAITING});
    await sleep(60);
    expect(conn.started).toBe(1);
  });
});

test("werift's consent loop is replaced on a real agent: a selected pair starts no checks, only the consent", async () => {
  const pc = new RTCPeerConnection({iceServers: []});
  pc.addTransceiver('audio', {direction: 'recvonly'});
  await pc.setLocalDescription(await pc.createOffer());
  expect(IceAgent.fresh(pc).length).toBe(1);
  const conn = pc.iceTransports[0].connection as unknown as {
    consentFresh: boolean;
    consentRequestAbort?: AbortController;
    queryConsentHandle?: unknown;
    queryConsent(): void;
  };
  expect(conn.consentFresh).toBe(false);
  // What werift calls when a check selects a pair (clientConsent.ts).
  conn.queryConsent();
  expect(conn.consentFresh).toBe(true);
  // werift's loop would have stored its handle and a request controller by now.
  await new Promise((resolve) => setTimeout(resolve, 10));
  expect(conn.queryConsentHandle).toBeUndefined();
  expect(conn.consentRequestAbort).toBeUndefined();
  await pc.close();
});

test("the patches keep werift's ICE agent and DTLS transport objects in fast mode (a dictionary costs ≈ 2 KB each)", () => {
  // V8's own answer (%HasFastProperties), in a process started with natives syntax.
  const probe = `
    const {RTCPeerConnection} = await import('werift');
    const agentMod = await import(${JSON.stringify(path.join(__dirname, 'iceAgent.ts'))});
    const dtlsMod = await import(${JSON.stringify(path.join(__dirname, 'dtlsSocket.ts'))});
    const {IceAgent} = agentMod.IceAgent ? agentMod : agentMod.default;
    const {onDtlsSocket} = dtlsMod.onDtlsSocket ? dtlsMod : dtlsMod.default;
    const pc = new RTCPeerConnection({iceServers: []});
    pc.addTransceiver('audio', {direction: 'recvonly'});
    await pc.setLocalDescription(await pc.createOffer());
    for (const a of IceAgent.fresh(pc)) a.settleOnCompletion();
    onDtlsSocket(pc, () => {});
    const fast = (o) => eval('%HasFastProperties(o)');
    console.log(JSON.stringify({ice: fast(pc.iceTransports[0].connection), dtls: fast(pc.dtlsTransports[0])}));
    await pc.close();`;
  const r = spawnSync(
    process.execPath,
    ['--allow-natives-syntax', '--import', 'tsx', '--input-type=module', '-e', probe],
    {cwd: __dirname, encoding: 'utf8'},
  );
  expect(r.stderr).toBe('');
  expect(JSON.parse(r.stdout)).toEqual({ice: true, dtls: true});
});
