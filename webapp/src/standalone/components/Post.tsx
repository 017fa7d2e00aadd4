// One post as the host shows it: author, time, body (a plugin's post type component when one is registered) and a
// Reply button that opens the post's thread in the right-hand side.
import React from 'react';
import {useSelector} from 'react-redux';

import {Markdown} from './Markdown';
import {useRegistry} from '../registry';
import {HostActions, store, type HostState} from '../store';
import {basename} from '../../client/rest';
import type {PostInfo} from '../../types';

export function openThread(post: PostInfo): void {
  store.dispatch({type: HostActions.SELECT_RHS_POST, data: post.root_id || post.id});
}

export function Post({post, inThread = false}: {post: PostInfo; inThread?: boolean}) {
  const reg = useRegistry();
  const author = useSelector((s: HostState) => s.entities.users.profiles[post.user_id]);
  const replies = useSelector((s: HostState) =>
    inThread || post.root_id ? 0 : Object.values(s.entities.posts.posts).filter((p) => p.root_id === post.id).length,
  );
  const Custom = reg.postTypes[post.type]?.component;
  const ephemeral = post.id.startsWith('ephemeral-');
  return (
    <div
      className={`sa-post${ephemeral ? ' sa-post--ephemeral' : ''}`}
      id={`${inThread ? 'rhsPost' : 'post'}_${post.id}`}
      data-post-type={post.type || 'default'}
      data-root-id={post.root_id || undefined}
    >
      <img src={ephemeral ? undefined : `${basename()}/api/v4/users/${post.user_id}/image`} alt="" />
      <div className="sa-post-body">
        <div className="sa-post-head">
          <b>{ephemeral ? 'System' : author?.username || post.user_id}</b>
          <time dateTime={new Date(post.create_at).toISOString()}>{new Date(post.create_at).toLocaleTimeString()}</time>
          {ephemeral && <span className="sa-post-reply">{'(Only visible to you)'}</span>}
          {!ephemeral && !inThread && (
            <button
              type="button"
              className="sa-post-reply-button"
              aria-label="Reply"
              title="Reply"
              onClick={() => openThread(post)}
            >
              {replies > 0 ? `↩ ${replies}` : '↩'}
            </button>
          )}
        </div>
        {post.root_id && !inThread && (
          <button type="button" className="sa-post-reply sa-post-thread-link" onClick={() => openThread(post)}>
            {'Reply in thread'}
          </button>
        )}
        {Custom ? (
          <Custom post={post} />
        ) : (
          <div className="sa-post-message">
            <Markdown text={post.message} />
          </div>
        )}
      </div>
    </div>
  );
}
