// Shows or hides the participants list (Alt+P); the button carries the number of participants.
import React from 'react';
import {useIntl} from 'react-intl';

import {controlIconSize, type ControlsSurface} from './controls';
import {PeopleIcon} from '../common/icons';
import {Tooltip} from '../common/Tooltip';

export function ParticipantsButton({
  surface,
  open,
  count,
  onToggle,
}: {
  surface: ControlsSurface;
  open: boolean;
  count: number;
  onToggle: () => void;
}) {
  const {formatMessage} = useIntl();
  const widget = surface === 'calls-widget';
  const label = open
    ? formatMessage({id: 'calls.widget.hide_participants', defaultMessage: 'Hide participants'})
    : formatMessage({id: 'calls.widget.show_participants', defaultMessage: 'Show participants'});
  // The widget's tooltip names the list; the expanded view's says what a click does.
  const tooltip = widget ? formatMessage({id: 'calls.widget.participants', defaultMessage: 'Participants'}) : label;
  return (
    <Tooltip text={tooltip} shortcut="participants">
      <button
        id={`${surface}-participants-button`}
        className={`calls-btn${open ? ' calls-btn--active' : ''}`}
        aria-controls={widget ? 'calls-widget-participants-list' : 'rhs-participant-list'}
        aria-expanded={open}
        aria-label={label}
        onClick={onToggle}
      >
        <PeopleIcon size={controlIconSize(surface)} />
        <span data-testid={widget ? 'calls-widget-participants-count' : undefined}>{count}</span>
      </button>
    </Tooltip>
  );
}
