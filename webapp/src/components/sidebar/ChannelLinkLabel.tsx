// The active-call icon next to a channel's name in the sidebar, with who is on the call in its tooltip.
import React from 'react';
import {useIntl} from 'react-intl';
import {useSelector} from 'react-redux';

import {PhoneIcon} from '../common/icons';
import {callInChannel, displayName, profiles, sessionsInChannel, type GlobalState} from '../../state/selectors';
import type {ChannelInfo} from '../../types';

export function ChannelLinkLabel({channel}: {channel: ChannelInfo}) {
  const {formatMessage, formatList} = useIntl();
  const call = useSelector((s: GlobalState) => callInChannel(s, channel.id));
  const sessions = useSelector((s: GlobalState) => sessionsInChannel(s, channel.id));
  const users = useSelector(profiles);
  const ids = [...new Set(Object.values(sessions).map((s) => s.user_id))];
  if (!call && ids.length === 0) {
    return null;
  }
  const names = ids.slice(0, 8).map((id) => displayName(users[id], id));
  if (ids.length > 8) {
    names.push(formatMessage({id: 'calls.sidebar.others', defaultMessage: '+{count} others'}, {count: ids.length - 8}));
  }
  const tooltip = formatMessage(
    {id: 'calls.sidebar.tooltip', defaultMessage: '{list} {count, plural, =1 {is} other {are}} on the call'},
    {list: formatList(names, {type: 'conjunction'}), count: ids.length},
  );
  return (
    <span
      className="calls-sidebar-icon"
      data-testid="calls-sidebar-active-call-icon"
      title={tooltip}
      aria-label={tooltip}
      role="img"
    >
      <PhoneIcon size={12} />
    </span>
  );
}
