// The "More options" button that opens the SettingsMenu of its surface.
import React from 'react';
import {useIntl} from 'react-intl';

import {controlIconSize, type ControlsSurface} from './controls';
import {DotsIcon} from '../common/icons';
import {Tooltip} from '../common/Tooltip';

export const MORE_BUTTON_ID: Record<ControlsSurface, string> = {
  'calls-widget': 'calls-widget-toggle-menu-button',
  'calls-popout': 'calls-popout-settings-button',
};

export function MoreButton({surface, open, onToggle}: {surface: ControlsSurface; open: boolean; onToggle: () => void}) {
  const {formatMessage} = useIntl();
  const label = formatMessage({id: 'calls.menu.more', defaultMessage: 'More options'});
  // Only the expanded view's button has a tooltip and says it opens a menu (the widget's never had either).
  const toolbar = surface === 'calls-popout';
  const button = (
    <button
      id={MORE_BUTTON_ID[surface]}
      className={`calls-btn${open ? ' calls-btn--active' : ''}`}
      aria-controls={`${surface}-settings-menu`}
      aria-expanded={open}
      aria-haspopup={toolbar ? 'menu' : undefined}
      aria-label={label}
      onClick={onToggle}
    >
      <DotsIcon size={controlIconSize(surface)} />
    </button>
  );
  return toolbar ? <Tooltip text={label}>{button}</Tooltip> : button;
}
