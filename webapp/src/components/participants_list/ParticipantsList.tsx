// The participants of the current call, in the reference's sort order, with mute/hand/screen/host/you markers.
import React from 'react';
import {useIntl} from 'react-intl';
import {useSelector} from 'react-redux';

import {HostControlsMenu, MuteOthersButton, useHostControlsAvailable} from './HostControls';
import {Emoji} from '../common/Emoji';
import {Avatar} from '../common/Avatar';
import {HandBadge, MuteBadge} from './StatusBadges';
import {ScreenIcon} from '../common/icons';
import {
  displayName,
  hostIDInChannel,
  profiles,
  screenSharingSessionID,
  sessionsInChannel,
  sortedSessions,
  clientState,
  type GlobalState,
} from '../../state/selectors';
import type {SessionUI} from '../../state/calls_state';

export function ParticipantRow({
  session,
  isMe,
  isHost,
  presenting,
  channelID = '',
}: {
  session: SessionUI;
  isMe: boolean;
  isHost: boolean;
  presenting: boolean;
  channelID?: string;
}) {
  const {formatMessage} = useIntl();
  const hostControls = useHostControlsAvailable(channelID);
  const users = useSelector(profiles);
  const name = displayName(users[session.user_id], session.user_id);
  return (
    <li
      className="calls-participant"
      data-testid="calls-participant"
      data-session-id={session.session_id}
      data-user-id={session.user_id}
    >
      <Avatar userID={session.user_id} size={24} speaking={session.voice} />
      <span className="calls-participant-name">
        {name}
        {isMe && <span> {formatMessage({id: 'calls.participants.you', defaultMessage: '(you)'})}</span>}
      </span>
      {isHost && (
        <span className="calls-host-badge">
          {formatMessage({id: 'calls.participants.host', defaultMessage: 'HOST'})}
        </span>
      )}
      {session.reaction && (
        <span aria-label={session.reaction.emoji.name}>
          <Emoji emoji={session.reaction.emoji} size={16} />
        </span>
      )}
      {session.raised_hand > 0 && <HandBadge testID="calls-participant" />}
      {presenting && (
        <span
          className="calls-icon-screen"
          role="img"
          aria-label={formatMessage({id: 'calls.participants.presenting', defaultMessage: 'Presenting'})}
        >
          <ScreenIcon />
        </span>
      )}
      <MuteBadge unmuted={session.unmuted} testID="calls-participant" />
      {hostControls && !isMe && channelID && (
        <HostControlsMenu channelID={channelID} session={session} isHost={isHost} presenting={presenting} />
      )}
    </li>
  );
}

export function useSortedParticipants(channelID: string): SessionUI[] {
  const sessions = useSelector((s: GlobalState) => sessionsInChannel(s, channelID));
  const presenter = useSelector((s: GlobalState) => screenSharingSessionID(s, channelID));
  const users = useSelector(profiles);
  return React.useMemo(() => sortedSessions(Object.values(sessions), presenter, users), [sessions, presenter, users]);
}

export function ParticipantsList({
  channelID,
  id = 'calls-widget-participants-list',
  className = 'calls-participants-list',
  showTitle = true,
}: {
  channelID: string;
  id?: string;
  className?: string;
  showTitle?: boolean;
}) {
  const {formatMessage} = useIntl();
  const list = useSortedParticipants(channelID);
  const hostID = useSelector((s: GlobalState) => hostIDInChannel(s, channelID));
  const presenter = useSelector((s: GlobalState) => screenSharingSessionID(s, channelID));
  const mySessionID = useSelector((s: GlobalState) => clientState(s)?.sessionID || '');
  return (
    <div
      id={id}
      className={className}
      role="region"
      aria-label={formatMessage({id: 'calls.participants.title', defaultMessage: 'Participants'})}
    >
      <h4 style={showTitle ? undefined : {textAlign: 'right'}}>
        {showTitle && formatMessage({id: 'calls.participants.title', defaultMessage: 'Participants'})}
        <MuteOthersButton
          channelID={channelID}
          othersUnmuted={list.some((s) => s.unmuted && s.session_id !== mySessionID)}
        />
      </h4>
      <ul style={{listStyle: 'none', margin: 0, padding: '0 0 8px'}}>
        {list.map((s) => (
          <ParticipantRow
            key={s.session_id}
            session={s}
            isMe={s.session_id === mySessionID}
            isHost={s.user_id === hostID}
            presenting={s.session_id === presenter}
            channelID={channelID}
          />
        ))}
      </ul>
    </div>
  );
}
