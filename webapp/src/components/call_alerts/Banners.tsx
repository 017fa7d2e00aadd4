// Alert banners of the current call (reference webapp.md §2.12): missing microphone or permission, screen-share
// permission, missing camera or permission (video DMs), degraded quality, device fallback. Each can be dismissed.
import React from 'react';
import {FormattedMessage, useIntl} from 'react-intl';
import {useDispatch, useSelector} from 'react-redux';

import {CloseIcon} from '../common/icons';
import {action} from '../../state/action_types';
import type {AlertKind} from '../../state/calls_state';
import {callsState, type GlobalState} from '../../state/selectors';

const order: AlertKind[] = [
  'missingAudioInput',
  'missingAudioInputPermissions',
  'missingScreenPermissions',
  'missingVideoInput',
  'missingVideoInputPermissions',
  'degradedCallQuality',
  'audioInputDeviceFallback',
  'audioOutputDeviceFallback',
];

function text(kind: AlertKind, label: string): React.ReactNode {
  switch (kind) {
    case 'missingAudioInput':
      return (
        <FormattedMessage
          id="calls.alert.missing_mic"
          defaultMessage="Unable to find a valid audio input device. Try plugging in an audio input device."
        />
      );
    case 'missingAudioInputPermissions':
      return (
        <FormattedMessage id="calls.alert.mic_permission" defaultMessage="Allow microphone access to Mattermost." />
      );
    case 'missingScreenPermissions':
      return (
        <FormattedMessage
          id="calls.alert.screen_permission"
          defaultMessage="Screen sharing was cancelled or not allowed. Allow screen recording access to share your screen."
        />
      );
    case 'missingVideoInput':
      return (
        <FormattedMessage
          id="calls.alert.missing_camera"
          defaultMessage="Unable to find a valid video input device. Try plugging in a camera."
        />
      );
    case 'missingVideoInputPermissions':
      return (
        <FormattedMessage id="calls.alert.camera_permission" defaultMessage="Allow camera access to Mattermost." />
      );
    case 'degradedCallQuality':
      return (
        <FormattedMessage
          id="calls.alert.degraded"
          defaultMessage="Call quality may be degraded due to unstable network conditions."
        />
      );
    case 'audioInputDeviceFallback':
      return (
        <FormattedMessage
          id="calls.alert.input_fallback"
          defaultMessage="The audio input device has changed to <i>{label}</i>."
          values={{label, i: (c: React.ReactNode) => <i>{c}</i>}}
        />
      );
    default:
      return (
        <FormattedMessage
          id="calls.alert.output_fallback"
          defaultMessage="The audio output device has changed to <i>{label}</i>."
          values={{label, i: (c: React.ReactNode) => <i>{c}</i>}}
        />
      );
  }
}

export function Banners({testID = 'calls-widget-banner-alert'}: {testID?: string}) {
  const {formatMessage} = useIntl();
  const dispatch = useDispatch();
  const alerts = useSelector((s: GlobalState) => callsState(s).alerts);
  const shown = order.filter((k) => alerts[k]?.show);
  if (!shown.length) {
    return null;
  }
  return (
    <>
      {shown.map((kind) => (
        <div
          key={kind}
          className={`calls-banner ${kind === 'degradedCallQuality' || kind.endsWith('Fallback') ? 'calls-banner--warning' : 'calls-banner--error'}`}
          role="dialog"
          data-testid={testID}
          data-alert={kind}
        >
          <span>{text(kind, alerts[kind]?.label || '')}</span>
          <button
            className="calls-btn"
            aria-label={formatMessage({id: 'calls.alert.dismiss', defaultMessage: 'Dismiss'})}
            onClick={() => dispatch(action('ALERT_HIDE', {kind, dismissed: true, at: Date.now()}))}
          >
            <CloseIcon size={12} />
          </button>
        </div>
      ))}
    </>
  );
}
