// The right-hand side: one thread (the root post and its replies, live through `posted` events) with a reply box
// whose posts and slash commands carry the thread's root_id. Plugins open it through window.ProductApi.selectRhsPost.
import React, {useEffect, useRef, useState} from 'react';
import {useSelector} from 'react-redux';

import {MessageBox} from './MessageBox';
import {Post} from './Post';
import {Api} from '../api';
import {HostActions, store, type HostState} from '../store';

export function Rhs() {
  const postID = useSelector((s: HostState) => (s.views.rhs.isOpen ? s.views.rhs.selectedPostId : ''));
  const posts = useSelector((s: HostState) => s.entities.posts.posts);
  const channels = useSelector((s: HostState) => s.entities.channels.channels);
  const [error, setError] = useState('');
  const listRef = useRef<HTMLDivElement>(null);
  const root = posts[postID];
  const rootID = root?.root_id || postID;
  const thread = Object.values(posts)
    .filter((p) => p.id === rootID || p.root_id === rootID)
    .sort((a, b) => a.create_at - b.create_at);

  useEffect(() => {
    if (!postID) {
      return;
    }
    setError('');
    Api.thread(postID)
      .then((list) => {
        store.dispatch({type: HostActions.RECEIVED_THREAD, data: list.order.map((id) => list.posts[id])});
      })
      .catch((err) => setError((err as Error).message));
  }, [postID]);

  useEffect(() => {
    const el = listRef.current;
    if (el) {
      el.scrollTop = el.scrollHeight;
    }
  }, [thread.length]);

  if (!postID) {
    return null;
  }
  const channel = channels[posts[rootID]?.channel_id || ''];
  return (
    <aside id="sidebar-right" className="sa-rhs" aria-label="Thread" data-root-id={rootID}>
      <header>
        <b>{'Thread'}</b>
        {channel && <span className="sa-post-reply">{channel.display_name || channel.name}</span>}
        <span className="sa-spacer" />
        <button
          type="button"
          id="rhsCloseButton"
          aria-label="Close"
          onClick={() => store.dispatch({type: HostActions.CLOSE_RHS})}
        >
          {'×'}
        </button>
      </header>
      <div className="sa-posts" id="rhsContainer" ref={listRef}>
        {error && (
          <div className="sa-error" role="alert">
            {error}
          </div>
        )}
        {thread.map((p) => (
          <Post key={p.id} post={p} inThread={true} />
        ))}
      </div>
      {channel && <MessageBox channel={channel} rootID={rootID} />}
    </aside>
  );
}
