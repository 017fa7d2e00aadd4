// The expanded view's participant tiles: avatar (glowing while speaking), mute/hand/reaction badges, name and host.
import React from 'react';
import {useIntl} from 'react-intl';
import {useSelector} from 'react-redux';

import {Emoji} from '../common/Emoji';
import {useSortedParticipants} from '../participants_list/ParticipantsList';
import {HandBadge, MuteBadge} from '../participants_list/StatusBadges';
import {Avatar} from '../common/Avatar';
import {useCallsClient} from '../common/hooks';
import {SessionVideo} from '../common/SessionVideo';
import {clientState, displayName, hostIDInChannel, profiles, type GlobalState} from '../../state/selectors';

export function ParticipantsGrid({channelID}: {channelID: string}) {
  const {formatMessage} = useIntl();
  const list = useSortedParticipants(channelID);
  const users = useSelector(profiles);
  const hostID = useSelector((s: GlobalState) => hostIDInChannel(s, channelID));
  const mySessionID = useSelector((s: GlobalState) => clientState(s)?.sessionID || '');
  const client = useCallsClient(['localVideoStream', 'remoteVideoStream']);
  const video = Boolean(client?.videoEnabled);
  const size = list.length <= 2 ? 156 : list.length <= 6 ? 120 : list.length <= 12 ? 96 : 72;
  return (
    <ul
      className="calls-expanded-grid"
      id="calls-expanded-view-participants-grid"
      data-video={video || undefined}
      style={{listStyle: 'none', margin: 0, padding: 0}}
    >
      {list.map((s) => (
        <li
          key={s.session_id}
          className={`calls-tile${video ? ' calls-tile--video' : ''}`}
          data-testid="calls-tile"
          data-session-id={s.session_id}
          data-user-id={s.user_id}
        >
          <SessionVideo
            session={s}
            self={s.session_id === mySessionID}
            id={`calls-popout-video-${s.session_id}`}
            fallback={<Avatar userID={s.user_id} size={size} speaking={s.voice} />}
          />
          <div className="calls-tile-badges">
            <MuteBadge unmuted={s.unmuted} />
            {s.raised_hand > 0 && <HandBadge />}
            {s.reaction && <Emoji emoji={s.reaction.emoji} size={20} />}
          </div>
          <div>
            {displayName(users[s.user_id], s.user_id)}
            {s.session_id === mySessionID
              ? ` ${formatMessage({id: 'calls.participants.you', defaultMessage: '(you)'})}`
              : ''}
            {s.user_id === hostID && (
              <span className="calls-host-badge">
                {' '}
                {formatMessage({id: 'calls.participants.host', defaultMessage: 'HOST'})}
              </span>
            )}
          </div>
        </li>
      ))}
    </ul>
  );
}
