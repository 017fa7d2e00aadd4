// The last reactions of the call, each with who sent it, floating over the expanded view.
import React from 'react';
import {useIntl} from 'react-intl';
import {useSelector} from 'react-redux';

import {Emoji} from '../common/Emoji';
import {callsState, currentUserId, displayName, profiles, type GlobalState} from '../../state/selectors';

export function ReactionStream({channelID}: {channelID: string}) {
  const {formatMessage} = useIntl();
  const reactions = useSelector((s: GlobalState) => callsState(s).reactions[channelID]) || [];
  const users = useSelector(profiles);
  const me = useSelector(currentUserId);
  return (
    <div className="calls-reaction-stream" data-testid="calls-reaction-stream">
      {reactions.slice(-10).map((r) => (
        <div key={`${r.session_id}-${r.timestamp}`} className="calls-reaction-chip">
          <Emoji emoji={r.emoji} size={18} />{' '}
          {r.user_id === me
            ? formatMessage({id: 'calls.reactions.you', defaultMessage: 'You'})
            : displayName(users[r.user_id], r.user_id)}
        </div>
      ))}
    </div>
  );
}
