import '@testing-library/jest-dom';
import {act, fireEvent, screen, within} from '@testing-library/react';
import React from 'react';

import {CallWidgetRoot} from './CallWidget';
import {action} from '../../state/action_types';
import {ALICE, BOB, CHANNEL, DM, ME, makeStore} from '../../testing/store';
import {callsEvent} from '../../testing/ws_event';
import {renderWithStore} from '../../testing/render';

function ev(store: ReturnType<typeof makeStore>, event: string, data: Record<string, unknown>, channelID = CHANNEL) {
  callsEvent(store, event, data, channelID);
}

/** The admin setting HostControlsAllowed turned on, as the config event brings it. */
function allowHostControls(store: ReturnType<typeof makeStore>) {
  act(() => {
    store.dispatch(
      action('RECEIVED_CALLS_CONFIG', {
        ...store.getState()['plugins-com.mattermost.calls'].callsConfig,
        HostControlsAllowed: true,
      }),
    );
  });
}

function setup(opts: {channelID?: string; admin?: boolean; hostID?: string} = {}) {
  const channelID = opts.channelID || CHANNEL;
  const store = makeStore({admin: opts.admin});
  ev(
    store,
    'call_start',
    {
      id: 'call1',
      channelID,
      start_at: Date.now() - 65000,
      thread_id: 'p',
      post_id: 'p',
      owner_id: opts.hostID || ALICE,
      host_id: opts.hostID || ALICE,
    },
    channelID,
  );
  ev(store, 'user_joined', {user_id: ALICE, session_id: 'sA'}, channelID);
  act(() => {
    store.dispatch(action('CLIENT_CONNECTING', {channelID, starting: false}));
  });
  const utils = renderWithStore(store, <CallWidgetRoot />);
  const connect = () => {
    act(() => {
      store.dispatch(action('CLIENT_CONNECTED', {channelID, sessionID: 'sMe', connected: true}));
    });
    ev(store, 'user_joined', {user_id: ME, session_id: 'sMe'}, channelID);
  };
  return {store, connect, ...utils};
}

describe('call widget', () => {
  test('renders nothing without a call connection', () => {
    const store = makeStore();
    const {container} = renderWithStore(store, <CallWidgetRoot />);
    expect(container).toBeEmptyDOMElement();
  });

  test('shows the connecting overlay until the RTC connection is up', () => {
    const {connect} = setup();
    expect(screen.getByTestId('calls-widget-loading-overlay')).toHaveTextContent('Joining call…');
    expect(screen.getByRole('button', {name: 'Unmute'})).toBeDisabled();
    connect();
    expect(screen.queryByTestId('calls-widget-loading-overlay')).toBeNull();
    expect(screen.getByRole('button', {name: 'Unmute'})).toBeEnabled();
  });

  test('says it is reconnecting while the server says the media is away, and stays in the call', () => {
    const {connect, store} = setup();
    connect();
    act(() => {
      store.dispatch(
        action('CLIENT_MEDIA_UNAVAILABLE', {channelID: CHANNEL, reason: 'no calls handler node is running'}),
      );
    });
    const overlay = screen.getByTestId('calls-widget-loading-overlay');
    expect(overlay).toHaveTextContent('Reconnecting… Calls are temporarily unavailable.');
    expect(overlay).toHaveAttribute('data-state', 'media_unavailable');
    expect(screen.getByRole('button', {name: 'Leave call'})).toBeEnabled();
    act(() => {
      store.dispatch(
        action('CLIENT_CONNECTED', {channelID: CHANNEL, sessionID: 'sMe', connected: false, reconnecting: true}),
      );
    });
    expect(screen.getByTestId('calls-widget-loading-overlay')).toHaveTextContent(/^Reconnecting…$/);
    act(() => {
      store.dispatch(action('CLIENT_CONNECTED', {channelID: CHANNEL, sessionID: 'sMe', connected: true}));
    });
    expect(screen.queryByTestId('calls-widget-loading-overlay')).toBeNull();
  });

  test('"Starting call…" when this client started the call', () => {
    const store = makeStore();
    act(() => {
      store.dispatch(action('CLIENT_CONNECTING', {channelID: CHANNEL, starting: true}));
    });
    renderWithStore(store, <CallWidgetRoot />);
    expect(screen.getByTestId('calls-widget-loading-overlay')).toHaveTextContent('Starting call…');
  });

  test('shows who is talking from voice events, the duration and the channel', () => {
    const {connect, store} = setup();
    connect();
    expect(screen.getByTestId('calls-widget-speaking')).toHaveTextContent('No one is talking…');
    expect(screen.getByTestId('calls-widget-duration').textContent).toMatch(/^01:0\d$/);
    expect(screen.getByTestId('calls-widget-channel-link')).toHaveTextContent('Town Square');
    ev(store, 'user_unmuted', {userID: ALICE, session_id: 'sA'});
    ev(store, 'user_voice_on', {userID: ALICE, session_id: 'sA'});
    expect(screen.getByTestId('calls-widget-speaking')).toHaveTextContent('alice is talking…');
    ev(store, 'user_voice_off', {userID: ALICE, session_id: 'sA'});
    expect(screen.getByTestId('calls-widget-speaking')).toHaveTextContent('No one is talking…');
  });

  test('participants list: count, markers, and updates when someone leaves', () => {
    const {connect, store} = setup();
    connect();
    ev(store, 'user_joined', {user_id: BOB, session_id: 'sB'});
    ev(store, 'user_raise_hand', {userID: BOB, session_id: 'sB', raised_hand: 10});
    expect(screen.getByTestId('calls-widget-participants-count')).toHaveTextContent('3');
    fireEvent.click(screen.getByRole('button', {name: 'Show participants'}));
    const list = screen.getByRole('region', {name: 'Participants'});
    const rows = within(list).getAllByTestId('calls-participant');
    // Raised hand first, then alphabetical.
    expect(rows.map((r) => r.getAttribute('data-session-id'))).toEqual(['sB', 'sA', 'sMe']);
    expect(within(rows[0]).getByRole('img', {name: 'Hand raised'})).toBeInTheDocument();
    expect(within(rows[1]).getByText('HOST')).toBeInTheDocument();
    expect(within(rows[2]).getByText('(you)')).toBeInTheDocument();
    ev(store, 'user_left', {user_id: BOB, session_id: 'sB'});
    expect(screen.getByTestId('calls-widget-participants-count')).toHaveTextContent('2');
    expect(within(list).getAllByTestId('calls-participant')).toHaveLength(2);
  });

  test('mute button follows my session state', () => {
    const {connect, store} = setup();
    connect();
    const btn = screen.getByRole('button', {name: 'Unmute'});
    expect(btn).not.toHaveClass('calls-btn--on');
    ev(store, 'user_unmuted', {userID: ME, session_id: 'sMe'});
    expect(screen.getByRole('button', {name: 'Mute'})).toHaveClass('calls-btn--on');
  });

  test('no raise-hand button in DMs', () => {
    const {connect} = setup({channelID: DM});
    connect();
    expect(screen.queryByRole('button', {name: 'Raise hand'})).toBeNull();
  });

  test('leave: a host with others gets "End call for everyone"; a lone host leaves in one click', () => {
    const {connect, store} = setup({hostID: ME});
    connect();
    // Alone besides alice? alice is here, so the host gets the menu.
    fireEvent.click(screen.getByRole('button', {name: 'Leave call'}));
    const menu = screen.getByRole('menu', {name: 'Leave call menu'});
    expect(within(menu).getByRole('menuitem', {name: /End call for everyone/})).toBeInTheDocument();
    fireEvent.keyDown(document, {key: 'Escape'});
    expect(screen.queryByRole('menu', {name: 'Leave call menu'})).toBeNull();
    ev(store, 'user_left', {user_id: ALICE, session_id: 'sA'});
    fireEvent.click(screen.getByRole('button', {name: 'Leave call'}));
    expect(screen.queryByRole('menu', {name: 'Leave call menu'})).toBeNull();
  });

  test('a non-host leaves in one click', () => {
    const {connect} = setup();
    connect();
    fireEvent.click(screen.getByRole('button', {name: 'Leave call'}));
    expect(screen.queryByRole('menu', {name: 'Leave call menu'})).toBeNull();
  });

  test('someone else presenting: the share button is disabled and the viewer shows their name', () => {
    const {connect, store} = setup();
    connect();
    expect(screen.getByRole('button', {name: 'Start presenting'})).toBeEnabled();
    ev(store, 'user_screen_on', {userID: ALICE, session_id: 'sA'});
    expect(screen.getByRole('button', {name: 'Start presenting'})).toBeDisabled();
    expect(screen.getByTestId('calls-widget-screen-panel')).toHaveTextContent("You're viewing alice's screen");
    ev(store, 'user_screen_off', {userID: ALICE, session_id: 'sA'});
    expect(screen.queryByTestId('calls-widget-screen-panel')).toBeNull();
  });

  test('alerts show as dismissable banners', () => {
    const {connect, store} = setup();
    connect();
    act(() => {
      store.dispatch(action('ALERT_SHOW', {kind: 'missingAudioInputPermissions'}));
    });
    const banner = screen.getByTestId('calls-widget-banner-alert');
    expect(banner).toHaveTextContent('Allow microphone access to Mattermost.');
    fireEvent.click(within(banner).getByRole('button', {name: 'Dismiss'}));
    expect(screen.queryByTestId('calls-widget-banner-alert')).toBeNull();
  });

  test('"has joined the call" notice for others, for 5 s', () => {
    jest.useFakeTimers();
    try {
      const {connect, store} = setup();
      connect();
      ev(store, 'user_joined', {user_id: BOB, session_id: 'sB'});
      const notices = screen.getAllByTestId('call-joined-participant-notification');
      expect(notices.map((n) => n.textContent)).toContain('bob has joined the call.');
      expect(notices.map((n) => n.textContent)).not.toContain('me has joined the call.');
      act(() => {
        jest.advanceTimersByTime(5000);
      });
      expect(screen.queryAllByTestId('call-joined-participant-notification')).toHaveLength(0);
    } finally {
      jest.useRealTimers();
    }
  });

  test('host controls: the host gets a menu on other rows that calls the host API', async () => {
    const calls: Array<{url: string; method: string; body: unknown}> = [];
    const g = globalThis as unknown as {fetch: unknown};
    const prevFetch = g.fetch;
    g.fetch = jest.fn(async (url: string, init: {method: string; body?: string}) => {
      calls.push({url, method: init.method, body: init.body ? JSON.parse(init.body) : undefined});
      return {ok: true, status: 200, statusText: 'OK', text: async () => '{}'};
    });
    try {
      const {connect, store} = setup({hostID: ME});
      allowHostControls(store);
      connect();
      ev(store, 'user_unmuted', {userID: ALICE, session_id: 'sA'});
      fireEvent.click(screen.getByRole('button', {name: 'Show participants'}));
      // No menu on my own row.
      expect(screen.getAllByTestId('calls-host-controls-button')).toHaveLength(1);
      fireEvent.click(screen.getByRole('button', {name: 'Host controls for alice'}));
      const menu = screen.getByRole('menu', {name: 'Host controls for alice'});
      expect(within(menu).getByRole('menuitem', {name: 'Mute participant'})).toBeInTheDocument();
      expect(within(menu).queryByRole('menuitem', {name: 'Lower hand'})).toBeNull();
      fireEvent.click(within(menu).getByRole('menuitem', {name: 'Make host'}));
      await act(async () => undefined);
      expect(calls).toEqual([
        {url: `/plugins/com.mattermost.calls/calls/${CHANNEL}/host/make`, method: 'POST', body: {new_host_id: ALICE}},
      ]);
      // Mute others appears because alice is unmuted.
      fireEvent.click(screen.getByRole('button', {name: 'Mute others'}));
      await act(async () => undefined);
      expect(calls[1]).toMatchObject({
        url: `/plugins/com.mattermost.calls/calls/${CHANNEL}/host/mute-others`,
        method: 'POST',
      });
    } finally {
      g.fetch = prevFetch;
    }
  });

  test('no host controls for a participant who is not the host', () => {
    const {connect, store} = setup();
    allowHostControls(store);
    connect();
    fireEvent.click(screen.getByRole('button', {name: 'Show participants'}));
    expect(screen.queryAllByTestId('calls-host-controls-button')).toHaveLength(0);
  });

  test('"You\'re muted" hint once after connecting, for 5 s', () => {
    jest.useFakeTimers();
    try {
      const {connect} = setup();
      expect(screen.queryByTestId('calls-widget-mute-hint')).toBeNull();
      connect();
      expect(screen.getByTestId('calls-widget-mute-hint')).toHaveTextContent("You're muted. Select to unmute.");
      expect(screen.getByTestId('calls-inline-mic')).toHaveAttribute('aria-label', 'microphone');
      act(() => {
        jest.advanceTimersByTime(5000);
      });
      expect(screen.queryByTestId('calls-widget-mute-hint')).toBeNull();
    } finally {
      jest.useRealTimers();
    }
  });

  test('More options: "Show chat thread" opens the call thread in the right-hand side; Escape closes the menu', () => {
    const {connect, store} = setup();
    const dispatched: unknown[] = [];
    window.ProductApi = {
      selectRhsPost: (id: string) => ({type: 'TEST_SELECT_RHS_POST', data: id}),
      closeRhs: () => ({type: 'TEST_CLOSE_RHS'}),
      getRhsSelectedPostId: () => '',
      getIsRhsOpen: () => false,
      useWebSocketClient: () => null,
    };
    const origDispatch = store.dispatch;
    store.dispatch = (a: {type: string; data?: unknown}) => {
      dispatched.push(a);
      return origDispatch(a);
    };
    try {
      connect();
      const toggle = screen.getByRole('button', {name: 'More options'});
      fireEvent.click(toggle);
      expect(toggle).toHaveAttribute('aria-expanded', 'true');
      const menu = screen.getByRole('menu', {name: 'More options'});
      fireEvent.click(within(menu).getByRole('menuitem', {name: 'Show chat thread'}));
      expect(dispatched).toContainEqual({type: 'TEST_SELECT_RHS_POST', data: 'p'});
      expect(screen.queryByRole('menu', {name: 'More options'})).toBeNull();
      fireEvent.click(toggle);
      fireEvent.keyDown(document, {key: 'Escape'});
      expect(screen.queryByRole('menu', {name: 'More options'})).toBeNull();
      fireEvent.click(toggle);
      fireEvent.mouseDown(document.body);
      expect(screen.queryByRole('menu', {name: 'More options'})).toBeNull();
    } finally {
      delete window.ProductApi;
    }
  });
});
