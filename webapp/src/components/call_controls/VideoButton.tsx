// Camera on/off in a video DM (reference webapp.md §2.2, §2.3): `#video-start-stop` in the widget and
// `#calls-popout-video-button` in the expanded view; absent in channels, group messages and without EnableVideo.
import React from 'react';
import {useIntl} from 'react-intl';

import {controlIconSize, type CallControls, type ControlsSurface} from './controls';
import {VideoIcon, VideoOffIcon} from '../common/icons';
import {TooltipButton} from '../common/Tooltip';

export function VideoButton({
  surface,
  controls,
  disabled = false,
}: {
  surface: ControlsSurface;
  controls: CallControls;
  disabled?: boolean;
}) {
  const {formatMessage} = useIntl();
  if (!controls.videoEnabled) {
    return null;
  }
  const label = controls.videoOn
    ? formatMessage({id: 'calls.video.stop', defaultMessage: 'Turn off camera'})
    : formatMessage({id: 'calls.video.start', defaultMessage: 'Turn on camera'});
  const Icon = controls.videoOn ? VideoIcon : VideoOffIcon;
  return (
    <TooltipButton
      label={label}
      id={surface === 'calls-widget' ? 'video-start-stop' : 'calls-popout-video-button'}
      className={`calls-btn${controls.videoOn ? ' calls-btn--active' : ''}`}
      disabled={disabled}
      aria-pressed={controls.videoOn}
      onClick={controls.toggleVideo}
    >
      <Icon size={controlIconSize(surface)} />
    </TooltipButton>
  );
}
