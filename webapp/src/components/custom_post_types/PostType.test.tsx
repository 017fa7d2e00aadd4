import '@testing-library/jest-dom';
import {cleanup, screen} from '@testing-library/react';
import React from 'react';

import {PostType} from './PostType';
import {handleWebSocketEvent} from '../../state/ws_events';
import {ALICE, BOB, CHANNEL, makeStore} from '../../testing/store';
import type {PostInfo} from '../../types';
import {renderWithStore} from '../../testing/render';

function post(props: Record<string, unknown>): PostInfo {
  return {
    id: 'post1',
    create_at: 1000,
    update_at: 1000,
    edit_at: 0,
    delete_at: 0,
    user_id: ALICE,
    channel_id: CHANNEL,
    root_id: '',
    message: 'alice started a call',
    type: 'custom_calls',
    props,
  };
}

function renderPost(store: ReturnType<typeof makeStore>, p: PostInfo) {
  return renderWithStore(store, <PostType post={p} />);
}

describe('call post', () => {
  test('a live call: "Call started" with a Join button and the title', () => {
    const store = makeStore();
    handleWebSocketEvent(store, {
      event: 'custom_com.mattermost.calls_call_start',
      data: {
        id: 'c1',
        channelID: CHANNEL,
        start_at: Date.now(),
        thread_id: 'post1',
        post_id: 'post1',
        owner_id: ALICE,
        host_id: ALICE,
      },
      broadcast: {},
      seq: 1,
    });
    renderPost(store, post({start_at: Date.now(), title: 'Standup'}));
    expect(screen.getByTestId('call-thread')).toHaveAttribute('data-call-state', 'started');
    expect(screen.getByText('Call started')).toBeInTheDocument();
    expect(screen.getByRole('heading', {name: 'Standup'})).toBeInTheDocument();
    expect(screen.getByRole('button', {name: 'Join call'})).toBeEnabled();
  });

  test('an ended call: end time, duration and participants, no button', () => {
    const store = makeStore();
    const start = new Date('2024-01-01T10:00:00Z').getTime();
    renderPost(store, post({start_at: start, end_at: start + 65 * 60 * 1000, participants: [ALICE, BOB]}));
    expect(screen.getByTestId('call-thread')).toHaveAttribute('data-call-state', 'ended');
    expect(screen.getByText('Call ended')).toBeInTheDocument();
    expect(screen.getByTestId('calls-post-ended-info')).toHaveTextContent(/Ended at .+ • Lasted 1 hour, 5 minutes/);
    expect(screen.getAllByRole('img')).toHaveLength(2);
    expect(screen.queryByRole('button')).toBeNull();
  });

  test('a short call lasted "a few seconds"', () => {
    const store = makeStore();
    renderPost(store, post({start_at: 1000, end_at: 21000}));
    expect(screen.getByTestId('calls-post-ended-info')).toHaveTextContent('Lasted a few seconds');
  });
});

describe('call post owner', () => {
  const BOT_ID = 'botbotbotbotbotbotbotbotbo';
  const startedBy = (p: PostInfo) => {
    const store = makeStore();
    renderPost(store, p);
    const text = screen.getByText(/^Started .* by /).textContent;
    cleanup();
    return text;
  };

  test('beside Mattermost the author is the bot: the starter named is props.calls_user_id', () => {
    const p = {...post({start_at: Date.now(), calls_user_id: BOB}), user_id: BOT_ID};
    expect(startedBy(p)).toMatch(/by bob$/);
  });

  test('without calls_user_id (the standalone platform) the author started it', () => {
    expect(startedBy(post({start_at: Date.now()}))).toMatch(/by alice$/);
    // A props value that is not a user id string is ignored.
    expect(startedBy(post({start_at: Date.now(), calls_user_id: 42}))).toMatch(/by alice$/);
  });
});
