// One channel: the header with the plugins' call buttons, the plugins' channel toasts, the posts (custom post types
// rendered by the plugin that registered them) and the message box.
import React, {useEffect, useRef} from 'react';
import {useSelector} from 'react-redux';

import {ChannelMenu} from './ChannelMenu';
import {MessageBox} from './MessageBox';
import {Post} from './Post';
import {useRegistry} from '../registry';
import {loadPosts} from '../session';
import {HostActions, store, type HostState} from '../store';
import type {ChannelInfo} from '../../types';

export function ChannelView({channel}: {channel: ChannelInfo}) {
  const reg = useRegistry();
  const ids = useSelector((s: HostState) => s.entities.posts.byChannel[channel.id]) || [];
  const posts = useSelector((s: HostState) => s.entities.posts.posts);
  const listRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    store.dispatch({type: HostActions.SELECT_CHANNEL, data: channel.id});
    loadPosts(channel.id).catch((err) => console.warn('loading posts failed', err));
  }, [channel.id]);

  useEffect(() => {
    const el = listRef.current;
    if (el) {
      el.scrollTop = el.scrollHeight;
    }
  }, [ids.length]);

  return (
    <div className="sa-main">
      <div className="sa-channel-header" id="channel-header">
        <h2 id="channelHeaderTitle">{channel.display_name || channel.name}</h2>
        <ChannelMenu channel={channel} />
        {channel.header && <span className="sa-post-reply">{channel.header}</span>}
        <span className="sa-spacer" />
        {reg.callButtons.map((b) => (
          <button key={b.id} type="button" className="sa-call-button" onClick={() => b.action(channel)}>
            {b.button}
          </button>
        ))}
      </div>
      <div className="sa-toasts">
        {reg.toasts.map(({id, component: Toast}) => (
          <Toast key={id} />
        ))}
      </div>
      <div className="sa-posts" id="postListContent" ref={listRef}>
        {ids.map((id) => posts[id] && <Post key={id} post={posts[id]} />)}
      </div>
      <MessageBox channel={channel} />
    </div>
  );
}
