// Recording in the webapp: the job state from call_job_state and call_state, the host's controls (widget menu,
// pop-out button, Ctrl+Alt+R, /call recording), the stop confirmation, the REC badge, the banners and their
// dismissal, and the recording post with its player.
import '@testing-library/jest-dom';
import {act, fireEvent, screen, within} from '@testing-library/react';
import React from 'react';

import {CallWidgetRoot} from '../call_widget/CallWidget';
import {PostType} from '../custom_post_types/PostType';
import {RecordingPost} from '../custom_post_types/RecordingPost';
import {ExpandedView} from '../expanded_view/ExpandedView';
import {Modals} from '../modals/Modals';
import {setCallsClient} from '../../client/current';
import type {CallsClient, ClientEvents} from '../../client/calls_client';
import {slashCommandWillBePosted} from '../../slash_commands';
import {parseJobState, recordingPhase} from '../../state/recording';
import {action} from '../../state/action_types';
import {callsState} from '../../state/selectors';
import {mockFetch, type FetchReply} from '../../testing/fetch';
import {renderWithStore} from '../../testing/render';
import {ALICE, CHANNEL, ME, makeStore} from '../../testing/store';
import {callsEvent} from '../../testing/ws_event';
import type {PostInfo} from '../../types';
import {Emitter} from '../../utils/emitter';

type Store = ReturnType<typeof makeStore>;
const REST = `/plugins/com.mattermost.calls/calls/${CHANNEL}/recording`;

function ev(store: Store, event: string, data: Record<string, unknown>) {
  callsEvent(store, event, data, CHANNEL);
}

function jobState(store: Store, job: Record<string, unknown>) {
  ev(store, 'call_job_state', {
    callID: CHANNEL,
    jobState: {type: 'recording', init_at: 0, start_at: 0, end_at: 0, ...job},
  });
}

/** A call in CHANNEL hosted by `host`, with alice and me connected, recordings on (unless told otherwise). */
function inCall(opts: {host?: string; recordings?: boolean; maxMinutes?: number} = {}): Store {
  const store = makeStore();
  const host = opts.host || ME;
  act(() => {
    store.dispatch(
      action('RECEIVED_CALLS_CONFIG', {
        ...callsState(store.getState()).callsConfig,
        EnableRecordings: opts.recordings ?? true,
        MaxRecordingDuration: opts.maxMinutes ?? 60,
      }),
    );
  });
  ev(store, 'call_start', {
    id: 'call1',
    channelID: CHANNEL,
    start_at: Date.now() - 5000,
    thread_id: 'p',
    post_id: 'p',
    owner_id: host,
    host_id: host,
  });
  ev(store, 'user_joined', {user_id: ALICE, session_id: 'sA'});
  act(() => {
    store.dispatch(action('CLIENT_CONNECTING', {channelID: CHANNEL, starting: false}));
    store.dispatch(action('CLIENT_CONNECTED', {channelID: CHANNEL, sessionID: 'sMe', connected: true}));
  });
  ev(store, 'user_joined', {user_id: ME, session_id: 'sMe'});
  return store;
}

function renderWidget(store: Store) {
  return renderWithStore(
    store,
    <>
      <CallWidgetRoot />
      <Modals />
    </>,
  );
}

async function flush() {
  await act(async () => undefined);
}

function openMenu() {
  fireEvent.click(screen.getByRole('button', {name: 'More options'}));
  return screen.getByRole('menu', {name: 'More options'});
}

let fetchMock: ReturnType<typeof mockFetch>;
let reply: (url: string) => FetchReply;

beforeEach(() => {
  window.localStorage.clear();
  reply = () => ({status: 200, body: {}});
  fetchMock = mockFetch((c) => reply(c.url));
});
afterEach(() => {
  fetchMock.restore();
  setCallsClient(null);
});

describe('recording job state', () => {
  test('call_job_state is kept by channel id; only recording jobs; hostile fields become numbers or nothing', () => {
    const store = inCall();
    ev(store, 'call_job_state', {callID: CHANNEL, jobState: {type: 'captioning', init_at: 5, start_at: 0, end_at: 0}});
    expect(callsState(store.getState()).recordings[CHANNEL]).toBeUndefined();
    jobState(store, {init_at: 100});
    expect(recordingPhase(callsState(store.getState()).recordings[CHANNEL])).toBe('starting');
    jobState(store, {init_at: 100, start_at: 200});
    expect(recordingPhase(callsState(store.getState()).recordings[CHANNEL])).toBe('recording');
    jobState(store, {init_at: 100, start_at: 200, end_at: 300});
    expect(recordingPhase(callsState(store.getState()).recordings[CHANNEL])).toBe('stopped');
    jobState(store, {init_at: 100, start_at: 0, end_at: 300, err: 'failed to start recording job: timed out'});
    const rec = callsState(store.getState()).recordings[CHANNEL];
    expect(recordingPhase(rec)).toBe('failed');
    expect(rec.error_at).toBe(300);

    expect(parseJobState({type: 'recording', init_at: '1', start_at: -5, end_at: NaN, err: 42})).toEqual({
      type: 'recording',
      init_at: 0,
      start_at: 0,
      end_at: 0,
    });
    expect(parseJobState('nope')).toBeNull();
    expect(parseJobState({err: 'x'.repeat(5000)})?.err).toHaveLength(1000);
  });

  test("a call's state carries its recording; a new call clears it; the banner's dismissal survives updates", () => {
    const store = inCall();
    ev(store, 'call_state', {
      channel_id: CHANNEL,
      call: JSON.stringify({
        id: 'call1',
        start_at: 1,
        sessions: [{session_id: 'sMe', user_id: ME, unmuted: false, raised_hand: 0, video: false}],
        thread_id: 'p',
        post_id: 'p',
        screen_sharing_session_id: '',
        owner_id: ME,
        host_id: ME,
        recording: {type: 'recording', init_at: 10, start_at: 20, end_at: 0},
      }),
    });
    expect(recordingPhase(callsState(store.getState()).recordings[CHANNEL])).toBe('recording');
    act(() => {
      store.dispatch(action('RECORDING_PROMPT_DISMISSED', {channelID: CHANNEL, dismissedAt: 21}));
    });
    jobState(store, {init_at: 10, start_at: 20, end_at: 30});
    expect(callsState(store.getState()).recordings[CHANNEL].prompt_dismissed_at).toBe(21);
    ev(store, 'call_start', {id: 'call2', channelID: CHANNEL, start_at: 2, thread_id: 'q', post_id: 'q', owner_id: ME});
    expect(callsState(store.getState()).recordings[CHANNEL]).toBeUndefined();
  });
});

describe('host controls', () => {
  test('widget menu: "Record call" POSTs start; while it starts the host sees a spinner; "Stop recording" asks first', async () => {
    const store = inCall();
    renderWidget(store);
    fireEvent.click(within(openMenu()).getByRole('menuitem', {name: 'Record call'}));
    await flush();
    expect(fetchMock.calls).toEqual([{url: `${REST}/start`, method: 'POST', body: undefined}]);
    expect(screen.queryByRole('menu', {name: 'More options'})).toBeNull();

    const now = Date.now();
    jobState(store, {init_at: now});
    expect(screen.getByTestId('calls-recording-badge')).toHaveAttribute('data-state', 'starting');
    expect(screen.getByTestId('calls-recording-badge-spinner')).toBeInTheDocument();
    expect(screen.queryByTestId('calls-widget-banner-recording')).toBeNull();

    jobState(store, {init_at: now, start_at: now - 65000});
    expect(screen.getByTestId('calls-recording-badge')).toHaveTextContent(/● REC\s*01:0\d/);
    const banner = screen.getByTestId('calls-widget-banner-recording');
    expect(banner).toHaveAttribute('data-state', 'host-started');
    expect(banner).toHaveTextContent("You're recording");

    fireEvent.click(within(openMenu()).getByRole('menuitem', {name: 'Stop recording'}));
    const modal = screen.getByRole('dialog', {name: 'Stop recording'});
    expect(modal).toHaveAttribute('id', 'stop_recording_confirmation');
    expect(modal).toHaveTextContent('The call recording will be processed and posted in the call thread.');
    fireEvent.click(within(modal).getByRole('button', {name: 'Cancel'}));
    expect(screen.queryByRole('dialog', {name: 'Stop recording'})).toBeNull();
    expect(fetchMock.calls).toHaveLength(1);

    fireEvent.click(within(openMenu()).getByRole('menuitem', {name: 'Stop recording'}));
    fireEvent.click(screen.getByTestId('stop-recording-confirm'));
    await flush();
    expect(fetchMock.calls[1]).toEqual({url: `${REST}/stop`, method: 'POST', body: undefined});
    jobState(store, {init_at: now, start_at: now - 65000, end_at: Date.now()});
    expect(screen.queryByTestId('calls-recording-badge')).toBeNull();
    const stopped = screen.getByTestId('calls-widget-banner-recording');
    expect(stopped).toHaveAttribute('data-state', 'stopped');
    expect(stopped).toHaveTextContent('Recording has stopped. Processing…');
  });

  test('no Record item for a participant who is not the host, nor when recordings are off', () => {
    const store = inCall({host: ALICE});
    const {unmount} = renderWidget(store);
    expect(within(openMenu()).queryByRole('menuitem', {name: 'Record call'})).toBeNull();
    unmount();
    renderWidget(inCall({recordings: false}));
    expect(within(openMenu()).queryByRole('menuitem', {name: 'Record call'})).toBeNull();
  });

  test("a refused start shows the server's message in the error banner, and a missing route no 404 page", async () => {
    const store = inCall();
    reply = () => ({
      status: 403,
      body: {id: 'app.calls.recording.in_progress', message: 'recording already in progress'},
    });
    renderWidget(store);
    fireEvent.click(within(openMenu()).getByRole('menuitem', {name: 'Record call'}));
    await flush();
    let banner = screen.getByTestId('calls-widget-banner-recording');
    expect(banner).toHaveAttribute('data-state', 'failed');
    expect(banner).toHaveTextContent('Something went wrong with the recording');
    expect(banner).toHaveTextContent('recording already in progress');

    reply = () => ({
      status: 404,
      body: {id: 'api.context.404.app_error', message: 'Sorry, we could not find the page.', status_code: 404},
    });
    fireEvent.click(within(openMenu()).getByRole('menuitem', {name: 'Record call'}));
    await flush();
    banner = screen.getByTestId('calls-widget-banner-recording');
    expect(banner).toHaveTextContent('Recording is not available on this server.');
    expect(banner).not.toHaveTextContent('could not find the page');
    expect(screen.queryByRole('dialog', {name: /could not find/})).toBeNull();
  });

  test('pop-out: the record button and Ctrl+Alt+R; the host can click the badge to stop; its banners', async () => {
    const store = inCall();
    renderWithStore(
      store,
      <>
        <ExpandedView channelID={CHANNEL} popout={true} />
        <Modals />
      </>,
    );
    fireEvent.click(screen.getByRole('button', {name: 'Record call'}));
    await flush();
    expect(fetchMock.calls.map((c) => c.url)).toEqual([`${REST}/start`]);
    const now = Date.now();
    jobState(store, {init_at: now, start_at: now});
    expect(screen.getByTestId('banner-recording')).toHaveAttribute('data-state', 'host-started');
    expect(document.getElementById('calls-popout-record-button')).toHaveAttribute('aria-label', 'Stop recording');

    fireEvent.keyDown(document, {key: 'r', code: 'KeyR', ctrlKey: true, altKey: true});
    expect(document.getElementById('stop_recording_confirmation')).toBeInTheDocument();
    fireEvent.click(screen.getByTestId('stop-recording-cancel'));

    fireEvent.click(screen.getByRole('button', {name: 'Recording: Click to stop'}));
    fireEvent.click(screen.getByTestId('stop-recording-confirm'));
    await flush();
    expect(fetchMock.calls.map((c) => c.url)).toEqual([`${REST}/start`, `${REST}/stop`]);
    jobState(store, {init_at: now, start_at: now, end_at: now + 1000});
    expect(screen.getByTestId('banner-recording-stopped')).toHaveTextContent('Recording has stopped. Processing…');
    expect(screen.queryByTestId('banner-recording')).toBeNull();
  });
});

describe('participants and banners', () => {
  test('a participant sees nothing while the job starts, then the consent notice; Understood dismisses it', () => {
    const store = inCall({host: ALICE});
    renderWidget(store);
    const now = Date.now();
    jobState(store, {init_at: now});
    expect(screen.queryByTestId('calls-recording-badge')).toBeNull();
    expect(screen.queryByTestId('calls-widget-banner-recording')).toBeNull();
    jobState(store, {init_at: now, start_at: now + 1});
    expect(screen.getByTestId('calls-recording-badge')).toHaveAttribute('data-state', 'recording');
    const notice = screen.getByTestId('calls-widget-banner-recording');
    expect(notice).toHaveAttribute('data-state', 'participant-started');
    expect(notice).toHaveTextContent('Recording is in progress');
    expect(notice).toHaveTextContent('By staying in the meeting, you give consent to being recorded.');
    expect(within(notice).getByRole('button', {name: 'Leave call'})).toBeInTheDocument();
    // The badge is not a stop button for a participant.
    expect(screen.queryByRole('button', {name: /Click to stop/})).toBeNull();

    fireEvent.click(within(notice).getByRole('button', {name: 'Understood'}));
    expect(screen.queryByTestId('calls-widget-banner-recording')).toBeNull();
    // The host stopping is no news for a participant; a new recording is.
    jobState(store, {init_at: now, start_at: now + 1, end_at: now + 2});
    expect(screen.queryByTestId('calls-widget-banner-recording')).toBeNull();
    jobState(store, {init_at: now + 10, start_at: now + 11});
    expect(screen.getByTestId('calls-widget-banner-recording')).toHaveAttribute('data-state', 'participant-started');
  });

  test('"Leave call" on the consent notice leaves the call', () => {
    const store = inCall({host: ALICE});
    const disconnect = jest.fn();
    const client = Object.assign(new Emitter<ClientEvents>(), {channelID: CHANNEL, isClosed: false, disconnect});
    setCallsClient(client as unknown as CallsClient);
    renderWidget(store);
    jobState(store, {init_at: 1, start_at: 2});
    fireEvent.click(
      within(screen.getByTestId('calls-widget-banner-recording')).getByRole('button', {name: 'Leave call'}),
    );
    expect(disconnect).toHaveBeenCalled();
  });

  test('a dismissal is remembered in this browser: a re-opened pop-out and the other window follow it', () => {
    const store = inCall();
    const now = Date.now();
    jobState(store, {init_at: now, start_at: now});
    const first = renderWidget(store);
    fireEvent.click(screen.getByTestId('calls-recording-banner-dismiss'));
    expect(screen.queryByTestId('calls-widget-banner-recording')).toBeNull();
    first.unmount();

    // Another window: its own store, the same browser storage.
    const popoutStore = inCall();
    jobState(popoutStore, {init_at: now, start_at: now});
    renderWithStore(popoutStore, <ExpandedView channelID={CHANNEL} popout={true} />);
    expect(screen.queryByTestId('banner-recording')).toBeNull();

    // A failure afterwards is news again.
    jobState(popoutStore, {init_at: now, start_at: now, end_at: now + 5, err: 'recorder exited with code 1'});
    const failed = screen.getByTestId('banner-recording');
    expect(failed).toHaveAttribute('data-state', 'failed');
    expect(failed).toHaveTextContent('Something went wrong with the recording');
    expect(failed).toHaveTextContent('recorder exited with code 1');
  });

  test('the dismissal made in another window hides the banner here (storage event)', () => {
    const store = inCall();
    const now = Date.now();
    jobState(store, {init_at: now, start_at: now});
    renderWidget(store);
    expect(screen.getByTestId('calls-widget-banner-recording')).toBeInTheDocument();
    act(() => {
      window.localStorage.setItem('calls_recording_prompt_dismissed_at', JSON.stringify({[CHANNEL]: now + 1}));
      window.dispatchEvent(new StorageEvent('storage', {key: 'calls_recording_prompt_dismissed_at'}));
    });
    expect(screen.queryByTestId('calls-widget-banner-recording')).toBeNull();
  });

  test('the host is warned when at most ten minutes are left, checked every 30 s', () => {
    jest.useFakeTimers();
    try {
      const store = inCall({maxMinutes: 15});
      const startAt = Date.now();
      jobState(store, {init_at: startAt, start_at: startAt});
      renderWidget(store);
      expect(screen.queryByTestId('calls-widget-banner-recording-max-duration')).toBeNull();
      act(() => {
        jest.advanceTimersByTime(5 * 60 * 1000 + 30 * 1000);
      });
      expect(screen.getByTestId('calls-widget-banner-recording-max-duration')).toHaveTextContent(
        'Calls can be recorded for up to 15 minutes. Your recording will end in 10 minutes.',
      );
      act(() => {
        jest.advanceTimersByTime(9 * 60 * 1000);
      });
      expect(screen.getByTestId('calls-widget-banner-recording-max-duration')).toHaveTextContent(
        'Your recording will end in 1 minute.',
      );
    } finally {
      jest.useRealTimers();
    }
  });

  test('participants get no duration warning', () => {
    jest.useFakeTimers();
    try {
      const store = inCall({host: ALICE, maxMinutes: 15});
      const startAt = Date.now();
      jobState(store, {init_at: startAt, start_at: startAt});
      renderWidget(store);
      act(() => {
        jest.advanceTimersByTime(10 * 60 * 1000);
      });
      expect(screen.queryByTestId('calls-widget-banner-recording-max-duration')).toBeNull();
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('/call recording', () => {
  const args = {channel_id: CHANNEL, team_id: 'team'};

  test('the host starts and stops; the route is POSTed', async () => {
    const store = inCall();
    setCallsClient({channelID: CHANNEL, isClosed: false} as unknown as CallsClient);
    expect(await slashCommandWillBePosted(store, '/call recording start', args)).toEqual({});
    expect(fetchMock.calls).toEqual([{url: `${REST}/start`, method: 'POST', body: undefined}]);
    jobState(store, {init_at: 1});
    expect(await slashCommandWillBePosted(store, '/call recording start', args)).toEqual({});
    expect(callsState(store.getState()).genericErrorModal).toEqual({
      title: 'Unable to start recording',
      message: 'A recording is already in progress.',
    });
    expect(await slashCommandWillBePosted(store, '/call recording stop', args)).toEqual({});
    expect(fetchMock.calls.map((c) => c.url)).toEqual([`${REST}/start`, `${REST}/stop`]);
  });

  test("a participant is told to ask the host; the server's refusal is shown; unknown actions go to the server", async () => {
    const store = inCall({host: ALICE});
    setCallsClient({channelID: CHANNEL, isClosed: false} as unknown as CallsClient);
    await slashCommandWillBePosted(store, '/call recording start', args);
    expect(callsState(store.getState()).genericErrorModal?.message).toMatch(
      /You don't have permissions to start a recording/,
    );
    expect(fetchMock.calls).toHaveLength(0);
    expect(await slashCommandWillBePosted(store, '/call recording pause', args)).toEqual({
      message: '/call recording pause',
      args,
    });

    const host = inCall();
    reply = () => ({status: 500, body: {id: 'app.calls.recording.start', message: 'failed to create recording job'}});
    await slashCommandWillBePosted(host, '/call recording start', args);
    expect(callsState(host.getState()).genericErrorModal).toEqual({
      title: 'Unable to start recording',
      message: 'failed to create recording job',
    });
  });

  test('not in the call: nothing is sent', async () => {
    const store = inCall();
    await slashCommandWillBePosted(store, '/call recording stop', args);
    expect(callsState(store.getState()).genericErrorModal?.message).toBe(
      "You're not connected to a call in the current channel.",
    );
    expect(fetchMock.calls).toHaveLength(0);
  });
});

describe('recording posts', () => {
  const FILE = 'abcdefghijklmnopqrstuvwxyz';
  const post = (over: Partial<PostInfo>): PostInfo => ({
    id: 'post_rec_000000000000000000',
    create_at: 1,
    update_at: 1,
    edit_at: 0,
    delete_at: 0,
    user_id: 'bot',
    channel_id: CHANNEL,
    root_id: 'p',
    message: '',
    props: {},
    type: 'custom_calls_recording',
    ...over,
  });

  test('"Here\'s the call recording" with a player of /api/v4/files/{id}; ids that are not ids are dropped', () => {
    renderWithStore(
      makeStore(),
      <RecordingPost
        post={post({
          file_ids: [FILE, '../../etc/passwd'],
        })}
      />,
    );
    expect(screen.getByTestId('calls-recording-post')).toHaveTextContent("Here's the call recording");
    const videos = screen.getAllByTestId('calls-recording-video') as HTMLVideoElement[];
    expect(videos).toHaveLength(1);
    expect(videos[0].getAttribute('src')).toBe(`/api/v4/files/${FILE}`);
    expect(videos[0].controls).toBe(true);
  });

  test('metadata.files is preferred, and files that are not videos get no player', () => {
    renderWithStore(
      makeStore(),
      <RecordingPost
        post={post({
          file_ids: [FILE],
          metadata: {
            files: [
              {id: FILE, name: 'Call recording.mp4', mime_type: 'video/mp4'},
              {id: 'zyxwvutsrqponmlkjihgfedcba', name: 'captions.vtt', mime_type: 'text/vtt'},
            ],
          },
        })}
      />,
    );
    const videos = screen.getAllByTestId('calls-recording-video');
    expect(videos).toHaveLength(1);
    expect(screen.getByRole('link', {name: 'Call recording.mp4'})).toBeInTheDocument();
  });

  test('the call post counts its recordings', () => {
    renderWithStore(
      makeStore(),
      <PostType
        post={post({
          id: 'p',
          type: 'custom_calls',
          root_id: '',
          props: {start_at: 1, end_at: 60000, recordings: {r1: {file_id: 'a'}, r2: {file_id: 'b'}}},
        })}
      />,
    );
    expect(screen.getByTestId('calls-post-recordings')).toHaveTextContent('2 recordings');
  });
});
