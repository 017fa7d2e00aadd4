// The expanded view's chat button: opens or closes the call thread in the right-hand side, with the number of replies
// that arrived while it was closed.
import React, {useEffect, useState} from 'react';
import {useIntl} from 'react-intl';
import {useSelector} from 'react-redux';

import {useCallsStore} from '../common/hooks';
import {ChatIcon} from '../common/icons';
import {closeRhs, rhsSelectedPostID, selectRhsPost} from '../../host';
import {action} from '../../state/action_types';
import {callInChannel, type GlobalState} from '../../state/selectors';
import {Tooltip} from '../common/Tooltip';

export function ChatButton({channelID, popout}: {channelID: string; popout: boolean}) {
  const {formatMessage} = useIntl();
  const store = useCallsStore();
  const threadID = useSelector((s: GlobalState) => callInChannel(s, channelID)?.threadID || '');
  const open = useSelector((s: GlobalState) => Boolean(threadID) && rhsSelectedPostID(s) === threadID);
  const unread = useUnreadReplies(threadID, open);
  if (!threadID || !window.ProductApi) {
    return null;
  }
  const label = open
    ? formatMessage({id: 'calls.popout.hide_chat', defaultMessage: 'Hide chat'})
    : formatMessage({id: 'calls.popout.show_chat', defaultMessage: 'Show chat'});
  return (
    <Tooltip text={label}>
      <button
        id="calls-popout-chat-button"
        className={`calls-btn${open ? ' calls-btn--active' : ''}`}
        aria-label={
          unread > 0 && !open
            ? formatMessage(
                {id: 'calls.popout.chat_unread', defaultMessage: '{label} ({count} new)'},
                {label, count: unread},
              )
            : label
        }
        aria-pressed={open}
        onClick={() => {
          if (open) {
            closeRhs(store);
            return;
          }
          if (!popout) {
            // The in-page view covers the page: get out of the way of the right-hand side.
            store.dispatch(action('HIDE_EXPANDED_VIEW', {}));
          }
          selectRhsPost(store, threadID);
        }}
      >
        <ChatIcon size={20} />
        {unread > 0 && !open && (
          <span className="calls-unread-dot" data-testid="calls-popout-chat-unread">
            {unread}
          </span>
        )}
      </button>
    </Tooltip>
  );
}

/** Replies in the thread that arrived since the chat was last open (the host keeps posts in entities.posts). */
function useUnreadReplies(threadID: string, open: boolean): number {
  const count = useSelector((s: GlobalState) => {
    const posts = (s.entities as unknown as {posts?: {posts: Record<string, {root_id: string}>}}).posts?.posts;
    return posts ? Object.values(posts).filter((p) => p.root_id === threadID).length : 0;
  });
  const [seen, setSeen] = useState<number | null>(null);
  useEffect(() => {
    if (open || seen === null) {
      setSeen(count);
    }
  }, [open, count, seen]);
  return seen === null ? 0 : Math.max(0, count - seen);
}
