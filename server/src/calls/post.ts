// The call post (type custom_calls, reference §7.4): created when a call starts, updated when it ends.
import type {Platform, Post, User} from '../platform/types';
import type {Call} from '../store/types';

export const CALL_POST_TYPE = 'custom_calls';

function displayName(user: User | null): string {
  if (!user) return 'Someone';
  if (user.first_name && user.last_name) return `${user.first_name} ${user.last_name}`;
  return user.username;
}

export async function createCallPost(
  platform: Platform,
  call: Call,
  starter: User | null,
  title: string,
  threadID: string,
): Promise<Post> {
  const message = `${displayName(starter)} started a call`;
  return platform.createPost({
    channel_id: call.channelId,
    user_id: call.ownerId,
    root_id: threadID,
    message,
    type: CALL_POST_TYPE,
    props: {
      attachments: [{fallback: message, title, text: message}],
      start_at: call.startAt,
      title,
    },
  });
}

export async function endCallPost(platform: Platform, call: Call): Promise<void> {
  if (!call.postId) return;
  const post = await platform.getPost(call.postId);
  if (!post) return;
  const message = 'Call ended';
  await platform.updatePost({
    ...post,
    message,
    props: {
      ...post.props,
      attachments: [{fallback: message, title: post.props.title ?? '', text: message}],
      end_at: call.endAt,
      participants: call.participants,
    },
  });
}
