// Raise/lower hand (Ctrl+Shift+Y): a button of the widget's bar, and the first item of the expanded view's reactions
// bar. Not offered in 1:1 DMs.
import React from 'react';
import {useIntl} from 'react-intl';

import {controlIconSize, type CallControls, type ControlsSurface} from './controls';
import {HandIcon} from '../common/icons';
import {TooltipButton} from '../common/Tooltip';

/** onDone runs after the toggle (the reactions bar closes itself). */
export function HandButton({
  surface,
  controls,
  disabled,
  onDone,
}: {
  surface: ControlsSurface;
  controls: CallControls;
  disabled?: boolean;
  onDone?: () => void;
}) {
  const {formatMessage} = useIntl();
  if (!controls.canRaiseHand) {
    return null;
  }
  const inMenu = surface === 'calls-popout';
  const label = controls.handRaised
    ? formatMessage({id: 'calls.widget.lower_hand', defaultMessage: 'Lower hand'})
    : formatMessage({id: 'calls.widget.raise_hand', defaultMessage: 'Raise hand'});
  return (
    <TooltipButton
      label={label}
      shortcut="hand"
      id={inMenu ? undefined : 'raise-hand'}
      role={inMenu ? 'menuitem' : undefined}
      data-testid={inMenu ? (controls.handRaised ? 'lower-hand-button' : 'raise-hand-button') : undefined}
      className={inMenu ? undefined : `calls-btn${controls.handRaised ? ' calls-btn--active' : ''}`}
      disabled={disabled}
      onClick={() => {
        controls.toggleHand();
        onDone?.();
      }}
    >
      <HandIcon size={controlIconSize(surface)} />
    </TooltipButton>
  );
}
