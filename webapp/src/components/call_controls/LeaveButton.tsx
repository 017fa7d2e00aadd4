// Leave the call (Ctrl+Shift+L); a host with others in the call gets the LeaveMenu instead (end for everyone, or leave).
import React from 'react';
import {useIntl} from 'react-intl';

import {controlIconSize, type CallControls, type ControlsSurface} from './controls';
import {LeaveIcon} from '../common/icons';
import {Tooltip} from '../common/Tooltip';

export function LeaveButton({
  surface,
  controls,
  onToggleMenu,
}: {
  surface: ControlsSurface;
  controls: CallControls;
  onToggleMenu: () => void;
}) {
  const {formatMessage} = useIntl();
  const label = formatMessage({id: 'calls.leave.leave', defaultMessage: 'Leave call'});
  return (
    <Tooltip text={label} shortcut="leave">
      <button
        id={`${surface}-leave-button`}
        className="calls-btn calls-btn--danger"
        aria-label={label}
        onClick={() => (controls.leaveNeedsMenu ? onToggleMenu() : controls.leave())}
      >
        <LeaveIcon size={controlIconSize(surface)} />
      </button>
    </Tooltip>
  );
}
