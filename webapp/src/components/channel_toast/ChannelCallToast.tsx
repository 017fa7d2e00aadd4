// The "Join call" toast over the current channel's messages while it has a call the user is not in; dismissable
// per call (reference webapp.md §1.1 registerChannelToastComponent).
import React, {useState} from 'react';
import {useIntl} from 'react-intl';
import {useSelector} from 'react-redux';

import {Avatar} from '../common/Avatar';
import {useNow, useCallsStore} from '../common/hooks';
import {CloseIcon, PhoneIcon} from '../common/icons';
import {joinOrOfferSwitch} from '../../call_flow';
import {
  callInChannel,
  callsState,
  clientState,
  currentChannelId,
  isCallFull,
  isChannelMember,
  sessionsInChannel,
  type GlobalState,
} from '../../state/selectors';

const dismissed = new Set<string>();

export function ChannelCallToast() {
  const {formatMessage, formatRelativeTime} = useIntl();
  const store = useCallsStore();
  const channelID = useSelector(currentChannelId);
  const call = useSelector((s: GlobalState) => callInChannel(s, channelID));
  const sessions = useSelector((s: GlobalState) => sessionsInChannel(s, channelID));
  const client = useSelector(clientState);
  const member = useSelector((s: GlobalState) => isChannelMember(s, channelID));
  const full = useSelector((s: GlobalState) => isCallFull(s, channelID));
  const dismissedCall = useSelector((s: GlobalState) => (call ? callsState(s).dismissedCalls[call.ID] : false));
  const now = useNow(30000);
  const [, rerender] = useState(0);
  if (!call || !member || full || client?.channelID === channelID || dismissed.has(call.ID) || dismissedCall) {
    return null;
  }
  const users = [...new Set(Object.values(sessions).map((s) => s.user_id))];
  return (
    <div id="calls-channel-toast" role="status">
      <PhoneIcon />
      <button onClick={() => joinOrOfferSwitch(store, channelID)}>
        {formatMessage({id: 'calls.toast.join', defaultMessage: 'Join call'})}
      </button>
      <span>
        {formatMessage(
          {id: 'calls.toast.started', defaultMessage: 'Started {time}'},
          {
            time: formatRelativeTime(Math.min(0, Math.round((call.startAt - now) / 60000)), 'minute', {
              numeric: 'auto',
            }),
          },
        )}
      </span>
      {users.slice(0, 2).map((u) => (
        <Avatar key={u} userID={u} size={20} />
      ))}
      <span style={{flex: 1}} />
      <button
        role="img"
        aria-label={formatMessage({id: 'calls.toast.close', defaultMessage: 'Close icon'})}
        onClick={() => {
          dismissed.add(call.ID);
          rerender((n) => n + 1);
        }}
      >
        <CloseIcon size={14} />
      </button>
    </div>
  );
}
