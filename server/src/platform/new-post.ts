// The Post a NewPost becomes at a given time (ids, empty defaults, timestamps), shared by the platform
// adapters and the in-memory test platform so they agree on the defaults.
import {newId} from '../ids';
import type {NewPost, Post} from './types';

export function newPost(p: NewPost, now: number): Post {
  return {
    id: newId(),
    channel_id: p.channel_id,
    user_id: p.user_id,
    root_id: p.root_id ?? '',
    message: p.message,
    type: p.type ?? '',
    props: p.props ?? {},
    file_ids: p.file_ids ?? [],
    create_at: now,
    update_at: now,
    edit_at: 0,
    delete_at: 0,
  };
}
