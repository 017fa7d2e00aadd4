// The channel's "Start call / Join call" button (reference webapp.md §2.1). Core renders it inside its own clickable
// wrapper and calls the registered action on click, so this is a label with states, not a <button>.
import React from 'react';
import {useIntl} from 'react-intl';
import {useSelector} from 'react-redux';

import {PhoneIcon} from '../common/icons';
import {Tooltip} from '../common/Tooltip';
import {callButtonState, callsConfig, currentChannel, type GlobalState} from '../../state/selectors';

export function ChannelCallButton({dropdown = false}: {dropdown?: boolean}) {
  const {formatMessage} = useIntl();
  const channel = useSelector(currentChannel);
  const st = useSelector((s: GlobalState) => callButtonState(s, channel));
  const starting = useSelector((s: GlobalState) => s['plugins-com.mattermost.calls'].client?.starting ?? false);
  const max = useSelector((s: GlobalState) => callsConfig(s).MaxCallParticipants);
  if (st === 'hidden') {
    return null;
  }
  let text: string;
  let tooltip = '';
  switch (st) {
    case 'join':
      text = formatMessage({id: 'calls.button.join', defaultMessage: 'Join call'});
      break;
    case 'connecting':
      text = starting
        ? formatMessage({id: 'calls.button.starting', defaultMessage: 'Starting call…'})
        : formatMessage({id: 'calls.button.joining', defaultMessage: 'Joining call…'});
      break;
    case 'in_call':
      text = formatMessage({id: 'calls.button.in_call', defaultMessage: 'In call'});
      break;
    case 'full':
      text = formatMessage({id: 'calls.button.join', defaultMessage: 'Join call'});
      tooltip = formatMessage(
        {id: 'calls.button.full', defaultMessage: 'This call is at its maximum capacity of {count} participants.'},
        {count: max},
      );
      break;
    case 'archived':
    case 'deactivated':
      text = formatMessage({id: 'calls.button.start', defaultMessage: 'Start call'});
      tooltip =
        st === 'archived'
          ? formatMessage({
              id: 'calls.button.archived',
              defaultMessage: 'Calls are not available in archived channels.',
            })
          : formatMessage({
              id: 'calls.button.deactivated',
              defaultMessage: 'Calls are not available in a DM with a deactivated user.',
            });
      break;
    default:
      text = dropdown
        ? formatMessage({id: 'calls.button.start_dropdown', defaultMessage: 'Start call · In this channel'})
        : formatMessage({id: 'calls.button.start', defaultMessage: 'Start call'});
  }
  const disabled =
    st === 'full' || st === 'archived' || st === 'deactivated' || st === 'connecting' || st === 'in_call';
  // The host wraps this in its own button and takes the button's name from this content (the visible text), so the
  // name follows the state ("In call") and a reason is the description. A disabled state swallows the click: the
  // reason is on the button already, and a click would only repeat it in an error dialog.
  return (
    <Tooltip text={tooltip || text} shortcut={st === 'start' || st === 'join' ? 'join' : undefined}>
      <span
        id="calls-join-button"
        data-state={disabled && st !== 'connecting' && st !== 'in_call' ? 'disabled' : st}
        aria-disabled={disabled}
        onClick={disabled ? (e) => e.stopPropagation() : undefined}
      >
        {st === 'connecting' ? (
          <span className="calls-spinner" aria-hidden="true">
            {'⟳'}
          </span>
        ) : (
          <PhoneIcon size={14} />
        )}
        <span>{text}</span>
      </span>
    </Tooltip>
  );
}
