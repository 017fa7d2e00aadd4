// Standalone posts: creating (refused in a deleted channel), editing and reading posts and threads,
// and ephemeral posts (published to one user, never stored); each change is published as the chat
// server's websocket event.
import type {Kysely} from 'kysely';
import type {Clock} from '../../clock';
import {badRequest, forbidden, notFound} from '../../errors';
import type {Database} from '../../store';
import type {EventPublisher} from '../../ws/types';
import {newPost} from '../new-post';
import type {Channel, NewPost, Post, User} from '../types';
import {toPost} from './rows';

export interface PostLookups {
  getChannel(id: string): Promise<Channel | null>;
  getUser(id: string): Promise<User | null>;
  /** Marks the files as attached to the post. */
  attachFiles(fileIDs: string[], postID: string): Promise<void>;
}

export class StandalonePosts {
  readonly #db: Kysely<Database>;
  readonly #clock: Clock;
  readonly #events: EventPublisher;
  readonly #lookups: PostLookups;

  constructor(db: Kysely<Database>, clock: Clock, events: EventPublisher, lookups: PostLookups) {
    this.#db = db;
    this.#clock = clock;
    this.#events = events;
    this.#lookups = lookups;
  }

  async createPost(p: NewPost): Promise<Post> {
    const channel = await this.#lookups.getChannel(p.channel_id);
    if (!channel) throw notFound('app.channel.get.existing.app_error', 'Channel not found');
    if (channel.delete_at > 0)
      throw forbidden('api.post.create_post.can_not_post_to_deleted.error', 'Can not post to deleted channel.');
    if (p.message.length > 16383) throw badRequest('model.post.is_valid.msg.app_error', 'Message too long');
    const now = this.#clock.now();
    const post = newPost(p, now);
    await this.#db
      .insertInto('standalone_posts')
      .values({...post, props: JSON.stringify(post.props), file_ids: JSON.stringify(post.file_ids)})
      .execute();
    if (post.file_ids.length > 0) await this.#lookups.attachFiles(post.file_ids, post.id);
    await this.#db.updateTable('standalone_channels').set({last_post_at: now}).where('id', '=', channel.id).execute();
    const sender = await this.#lookups.getUser(p.user_id);
    this.#events.publish(
      'posted',
      {
        channel_id: channel.id,
        channel_type: channel.type,
        channel_display_name: channel.display_name,
        channel_name: channel.name,
        team_id: channel.team_id,
        sender_name: sender ? '@' + sender.username : '',
        post: JSON.stringify(post),
      },
      {channel_id: channel.id},
    );
    return post;
  }

  async updatePost(post: Post): Promise<Post> {
    const updated: Post = {...post, update_at: this.#clock.now()};
    await this.#db
      .updateTable('standalone_posts')
      .set({
        message: updated.message,
        props: JSON.stringify(updated.props),
        update_at: updated.update_at,
        edit_at: updated.edit_at,
        type: updated.type,
      })
      .where('id', '=', post.id)
      .execute();
    this.#events.publish('post_edited', {post: JSON.stringify(updated)}, {channel_id: post.channel_id});
    return updated;
  }

  async getPost(id: string): Promise<Post | null> {
    const r = await this.#db.selectFrom('standalone_posts').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toPost(r) : null;
  }

  async getChannelPosts(channelID: string, page: number, perPage: number): Promise<Post[]> {
    const rows = await this.#db
      .selectFrom('standalone_posts')
      .selectAll()
      .where('channel_id', '=', channelID)
      .where('delete_at', '=', 0)
      .orderBy('create_at', 'desc')
      .orderBy('id', 'desc')
      .limit(perPage)
      .offset(page * perPage)
      .execute();
    return rows.map(toPost);
  }

  /** A thread: the root post and its replies, oldest first (deleted posts left out). */
  async getThreadPosts(rootID: string): Promise<Post[]> {
    const rows = await this.#db
      .selectFrom('standalone_posts')
      .selectAll()
      .where((eb) => eb.or([eb('id', '=', rootID), eb('root_id', '=', rootID)]))
      .where('delete_at', '=', 0)
      .orderBy('create_at', 'asc')
      .orderBy('id', 'asc')
      .execute();
    return rows.map(toPost);
  }

  async sendEphemeralPost(userID: string, channelID: string, message: string, rootID = ''): Promise<void> {
    const post = newPost(
      {channel_id: channelID, user_id: userID, root_id: rootID, message, type: 'system_ephemeral'},
      this.#clock.now(),
    );
    this.#events.publish('ephemeral_message', {post: JSON.stringify(post)}, {user_id: userID, channel_id: channelID});
  }
}
