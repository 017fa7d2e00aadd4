// Alert banners of the current call (reference webapp.md §2.12): missing microphone or permission, screen-share
// permission, missing camera or permission (video DMs), degraded quality, device fallback. Each can be dismissed.
import React from 'react';
import {defineMessages, useIntl, type MessageDescriptor} from 'react-intl';
import {useDispatch, useSelector} from 'react-redux';

import {BannerCloseButton} from '../common/BannerCloseButton';
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

const MESSAGES: Record<AlertKind, MessageDescriptor> = defineMessages({
  missingAudioInput: {
    id: 'calls.alert.missing_mic',
    defaultMessage: 'Unable to find a valid audio input device. Try plugging in an audio input device.',
  },
  missingAudioInputPermissions: {
    id: 'calls.alert.mic_permission',
    defaultMessage: 'Allow microphone access to Mattermost.',
  },
  missingScreenPermissions: {
    id: 'calls.alert.screen_permission',
    defaultMessage: 'Screen sharing was cancelled or not allowed. Allow screen recording access to share your screen.',
  },
  missingVideoInput: {
    id: 'calls.alert.missing_camera',
    defaultMessage: 'Unable to find a valid video input device. Try plugging in a camera.',
  },
  missingVideoInputPermissions: {
    id: 'calls.alert.camera_permission',
    defaultMessage: 'Allow camera access to Mattermost.',
  },
  degradedCallQuality: {
    id: 'calls.alert.degraded',
    defaultMessage: 'Call quality may be degraded due to unstable network conditions.',
  },
  audioInputDeviceFallback: {
    id: 'calls.alert.input_fallback',
    defaultMessage: 'The audio input device has changed to <i>{label}</i>.',
  },
  audioOutputDeviceFallback: {
    id: 'calls.alert.output_fallback',
    defaultMessage: 'The audio output device has changed to <i>{label}</i>.',
  },
});

const italic = (c: React.ReactNode) => <i>{c}</i>;

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
          <span>{formatMessage(MESSAGES[kind], {label: alerts[kind]?.label || '', i: italic})}</span>
          <BannerCloseButton
            className="calls-btn"
            onClick={() => dispatch(action('ALERT_HIDE', {kind, dismissed: true, at: Date.now()}))}
          />
        </div>
      ))}
    </>
  );
}
