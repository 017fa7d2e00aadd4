// Start/stop presenting (Ctrl+Shift+E); disabled while someone else presents or when screen sharing is not allowed.
import React from 'react';
import {useIntl} from 'react-intl';

import {controlIconSize, type CallControls, type ControlsSurface} from './controls';
import {ScreenIcon} from '../common/icons';
import {TooltipButton} from '../common/Tooltip';

export function ScreenShareButton({surface, controls}: {surface: ControlsSurface; controls: CallControls}) {
  const {formatMessage} = useIntl();
  const label = controls.sharing
    ? formatMessage({id: 'calls.screen.stop', defaultMessage: 'Stop presenting'})
    : formatMessage({id: 'calls.screen.start', defaultMessage: 'Start presenting'});
  return (
    <TooltipButton
      label={label}
      shortcut="screen"
      id={`${surface}-screenshare-button`}
      className={`calls-btn${controls.sharing ? ' calls-btn--danger' : ''}`}
      disabled={!controls.sharing && !controls.canShare}
      onClick={controls.toggleScreen}
    >
      <ScreenIcon size={controlIconSize(surface)} />
    </TooltipButton>
  );
}
