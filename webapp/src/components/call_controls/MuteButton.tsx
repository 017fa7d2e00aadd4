// Mute/unmute (Ctrl+Shift+Space): shows whether the microphone is on, and says so when there is no usable microphone.
import React from 'react';
import {useIntl} from 'react-intl';

import {controlIconSize, type CallControls, type ControlsSurface} from './controls';
import {MicIcon, MicOffIcon} from '../common/icons';
import {Tooltip} from '../common/Tooltip';

/** The tooltip of the mute button when there is no usable microphone. */
function micUnavailableText(
  kind: 'missing' | 'permission' | null,
  formatMessage: ReturnType<typeof useIntl>['formatMessage'],
): string {
  if (kind === 'permission') {
    return formatMessage({id: 'calls.widget.mic_permission', defaultMessage: 'Allow microphone access to Mattermost'});
  }
  if (kind === 'missing') {
    return formatMessage({id: 'calls.widget.no_mic', defaultMessage: 'No audio input devices'});
  }
  return '';
}

/** pushToTalk: the tooltip also says that holding Space talks (the pop-out window binds it). */
export function MuteButton({
  surface,
  controls,
  disabled,
  pushToTalk = false,
}: {
  surface: ControlsSurface;
  controls: CallControls;
  disabled?: boolean;
  pushToTalk?: boolean;
}) {
  const {formatMessage} = useIntl();
  const widget = surface === 'calls-widget';
  const unavailable = Boolean(controls.micUnavailable);
  // A denied or missing microphone is not "muted": the name, the icon's badge and the colour say it cannot be used.
  const label = unavailable
    ? formatMessage({id: 'calls.widget.mic_unavailable', defaultMessage: 'Microphone unavailable'})
    : controls.muted
      ? formatMessage({id: 'calls.widget.unmute', defaultMessage: 'Unmute'})
      : formatMessage({id: 'calls.widget.mute', defaultMessage: 'Mute'});
  const reason = micUnavailableText(controls.micUnavailable, formatMessage);
  const tip: Omit<React.ComponentProps<typeof Tooltip>, 'children'> = reason
    ? {text: label, hint: reason}
    : {
        text: label,
        shortcut: 'mute',
        hint: pushToTalk
          ? formatMessage({id: 'calls.popout.hold_space', defaultMessage: 'Or hold space bar'})
          : undefined,
      };
  const size = controlIconSize(surface);
  return (
    <Tooltip {...tip}>
      <button
        id={widget ? 'voice-mute-unmute' : 'calls-popout-mute-button'}
        data-testid={widget ? undefined : `calls-popout-${controls.muted ? 'muted' : 'unmuted'}`}
        className={`calls-btn${controls.muted ? '' : ' calls-btn--on'}${controls.micUnavailable ? ' calls-btn--unavailable' : ''}`}
        disabled={disabled}
        aria-label={label}
        data-unavailable={controls.micUnavailable || undefined}
        onClick={controls.toggleMute}
      >
        {controls.muted || unavailable ? <MicOffIcon size={size} /> : <MicIcon size={size} />}
        {unavailable && (
          <span className="calls-btn-badge" data-testid="calls-mic-unavailable" aria-hidden="true">
            {'!'}
          </span>
        )}
      </button>
    </Tooltip>
  );
}
