// The widget's middle bar in a video DM (reference webapp.md §2.2 "Layout with video"): two profile tiles, mine and
// the other person's, each the live camera when it is on or else the avatar, with the speaking ring and mute badge.
import React from 'react';
import {useSelector} from 'react-redux';

import {Avatar} from '../common/Avatar';
import {SessionVideo} from '../common/SessionVideo';
import {MuteBadge} from '../participants_list/StatusBadges';
import type {SessionUI} from '../../state/calls_state';
import {clientState, currentUserId, sessionsInChannel, type GlobalState} from '../../state/selectors';

export function VideoBar({channelID}: {channelID: string}) {
  const sessions = useSelector((s: GlobalState) => sessionsInChannel(s, channelID));
  const mySessionID = useSelector((s: GlobalState) => clientState(s)?.sessionID || '');
  const myUserID = useSelector(currentUserId);
  const mine = sessions[mySessionID];
  // The other person; with two tabs of theirs, the one whose camera is on.
  const others = Object.values(sessions).filter((s) => s.user_id !== myUserID);
  const other = others.find((s) => s.video) ?? others[0];
  return (
    <div className="calls-widget-video-bar" data-testid="calls-widget-video-bar">
      {mine && <Tile session={mine} self={true} />}
      {other && <Tile session={other} self={false} />}
    </div>
  );
}

function Tile({session, self}: {session: SessionUI; self: boolean}) {
  const which = self ? 'self' : 'other';
  return (
    <div
      className={`calls-widget-video-tile${session.voice ? ' calls-widget-video-tile--speaking' : ''}`}
      data-testid={`calls-widget-video-tile-${which}`}
      data-session-id={session.session_id}
    >
      <SessionVideo
        session={session}
        self={self}
        id={`calls-widget-video-player-${which}`}
        fallback={<Avatar userID={session.user_id} size={40} speaking={session.voice} />}
      />
      <div className="calls-tile-badges">
        <MuteBadge unmuted={session.unmuted} />
      </div>
    </div>
  );
}
