// The call post card, post type custom_calls (reference webapp.md §2.10): started (with Join / Leave) or ended (with
// end time and duration), the title, up to three participant avatars, and how many recordings were made.
import React from 'react';
import {useIntl} from 'react-intl';
import {useSelector} from 'react-redux';

import {Avatar} from '../common/Avatar';
import {useNow, useCallsStore} from '../common/hooks';
import {PhoneIcon} from '../common/icons';
import {useCallControls} from '../call_controls/controls';
import {LeaveMenu} from '../call_controls/LeaveMenu';
import {joinOrOfferSwitch} from '../../call_flow';
import {
  callInChannel,
  clientState,
  displayName,
  isCallFull,
  profiles,
  sessionsInChannel,
  callsConfig,
  type GlobalState,
} from '../../state/selectors';
import type {PostTypeProps} from '../../types';

/** props.recordings is a map of recording id → {file_id, post_id}; older servers sent a list. */
function countOf(v: unknown): number {
  if (Array.isArray(v)) {
    return v.length;
  }
  return v && typeof v === 'object' ? Object.keys(v).length : 0;
}

function useHumanDuration() {
  const {formatMessage} = useIntl();
  return (ms: number) => {
    const secs = Math.max(0, Math.round(ms / 1000));
    if (secs < 44) {
      return formatMessage({id: 'calls.post.few_seconds', defaultMessage: 'a few seconds'});
    }
    const totalMin = Math.max(1, Math.round(secs / 60));
    const hours = Math.floor(totalMin / 60);
    const minutes = totalMin % 60;
    const parts: string[] = [];
    if (hours) {
      parts.push(
        formatMessage(
          {id: 'calls.post.hours', defaultMessage: '{count, plural, =1 {# hour} other {# hours}}'},
          {count: hours},
        ),
      );
    }
    if (minutes || !hours) {
      parts.push(
        formatMessage(
          {id: 'calls.post.minutes', defaultMessage: '{count, plural, =1 {# minute} other {# minutes}}'},
          {count: minutes},
        ),
      );
    }
    return parts.join(', ');
  };
}

export function PostType({post}: PostTypeProps) {
  const intl = useIntl();
  const {formatMessage} = intl;
  const store = useCallsStore();
  const now = useNow(30000);
  const humanDuration = useHumanDuration();
  const props = (post.props || {}) as {
    title?: string;
    start_at?: number;
    end_at?: number;
    participants?: string[];
    recordings?: unknown;
    calls_user_id?: string;
  };
  const recordings = countOf(props.recordings);
  const channelID = post.channel_id;
  const call = useSelector((s: GlobalState) => callInChannel(s, channelID));
  const sessions = useSelector((s: GlobalState) => sessionsInChannel(s, channelID));
  const users = useSelector(profiles);
  const client = useSelector(clientState);
  const full = useSelector((s: GlobalState) => isCallFull(s, channelID));
  const max = useSelector((s: GlobalState) => callsConfig(s).MaxCallParticipants);
  const controls = useCallControls();
  const [menu, setMenu] = React.useState(false);

  const startAt = Number(props.start_at) || post.create_at;
  const endAt = Number(props.end_at) || 0;
  const ended = endAt > 0;
  const thisCallLive =
    !ended && Boolean(call) && (!call?.postID || call.postID === post.id || call.threadID === post.id);
  const inThisCall = thisCallLive && client?.channelID === channelID;
  // Beside a real Mattermost the post's author is the bot; who started the call is in props.calls_user_id.
  const ownerID = (typeof props.calls_user_id === 'string' && props.calls_user_id) || post.user_id;
  const owner = displayName(users[ownerID], ownerID);

  const participants = ended ? props.participants || [] : [...new Set(Object.values(sessions).map((s) => s.user_id))];

  let button: React.ReactNode = null;
  if (thisCallLive && inThisCall) {
    button = (
      <span style={{position: 'relative'}}>
        <button
          className="calls-post-button calls-post-button--leave"
          data-testid="calls-post-leave-button"
          aria-label={formatMessage({id: 'calls.post.leave', defaultMessage: 'Leave'})}
          onClick={() => (controls.leaveNeedsMenu ? setMenu(!menu) : controls.leave())}
        >
          {formatMessage({id: 'calls.post.leave', defaultMessage: 'Leave'})}
        </button>
        {menu && <LeaveMenu id="calls-post-leave-menu" onClose={() => setMenu(false)} controls={controls} />}
      </span>
    );
  } else if (thisCallLive) {
    button = (
      <button
        className="calls-post-button"
        data-testid="calls-post-join-button"
        disabled={full}
        title={
          full
            ? formatMessage(
                {
                  id: 'calls.button.full',
                  defaultMessage: 'This call is at its maximum capacity of {count} participants.',
                },
                {count: max},
              )
            : undefined
        }
        aria-label={formatMessage({id: 'calls.post.join', defaultMessage: 'Join call'})}
        onClick={() => joinOrOfferSwitch(store, channelID)}
      >
        {formatMessage({id: 'calls.post.join', defaultMessage: 'Join call'})}
      </button>
    );
  }

  return (
    <div
      className={`calls-post${ended ? ' calls-post--ended' : ''}`}
      data-testid="call-thread"
      data-call-state={ended ? 'ended' : 'started'}
    >
      {props.title && <h3>{props.title}</h3>}
      <div className="calls-post-icon">
        <PhoneIcon size={20} />
      </div>
      <div className="calls-post-text">
        {ended ? (
          <>
            <div className="calls-post-title">
              {formatMessage({id: 'calls.post.ended', defaultMessage: 'Call ended'})}
            </div>
            <div className="calls-post-sub" data-testid="calls-post-ended-info">
              {formatMessage(
                {id: 'calls.post.ended_at', defaultMessage: 'Ended at {time}'},
                {time: intl.formatTime(endAt, {hour: 'numeric', minute: '2-digit'})},
              )}
              {' • '}
              {formatMessage(
                {id: 'calls.post.lasted', defaultMessage: 'Lasted {duration}'},
                {duration: humanDuration(endAt - startAt)},
              )}
            </div>
          </>
        ) : (
          <>
            <div className="calls-post-title">
              {formatMessage({id: 'calls.post.started', defaultMessage: 'Call started'})}
            </div>
            <div className="calls-post-sub">
              {formatMessage(
                {id: 'calls.post.started_by', defaultMessage: 'Started {time} by {name}'},
                {
                  time: intl.formatRelativeTime(Math.min(0, Math.round((startAt - now) / 60000)), 'minute', {
                    numeric: 'auto',
                  }),
                  name: owner,
                },
              )}
            </div>
          </>
        )}
      </div>
      {participants.length > 0 && (
        <div className="calls-post-avatars">
          {participants.slice(0, 3).map((u) => (
            <Avatar key={u} userID={u} size={28} alt={displayName(users[u], u)} />
          ))}
          {participants.length > 3 && <span style={{marginLeft: 4}}>{`+${participants.length - 3}`}</span>}
        </div>
      )}
      {button}
      {recordings > 0 && (
        <div className="calls-post-counters">
          <span data-testid="calls-post-recordings">
            {formatMessage(
              {id: 'calls.post.recordings', defaultMessage: '{count, plural, =1 {# recording} other {# recordings}}'},
              {count: recordings},
            )}
          </span>
        </div>
      )}
    </div>
  );
}
