// The submenu of "More options" that lists the microphones, the audio outputs or (video DMs) the cameras and switches the call to the one chosen.
import React from 'react';
import {useIntl} from 'react-intl';

import type {ControlsSurface} from './controls';
import {useCallsClient} from '../common/hooks';
import {deviceLabel} from '../../client/devices';

export function DeviceMenu({
  kind,
  onClose,
  surface,
}: {
  kind: 'audioinput' | 'audiooutput' | 'videoinput';
  onClose: () => void;
  surface: ControlsSurface;
}) {
  const {formatMessage} = useIntl();
  const client = useCallsClient(['devicechange']);
  if (!client) {
    return null;
  }
  const list = kind === 'videoinput' ? client.cameras : client.devices[kind];
  const current =
    kind === 'videoinput'
      ? client.currentCamera
      : kind === 'audioinput'
        ? client.currentAudioInput
        : client.currentAudioOutput;
  return (
    <div
      id={`${surface}-${kind}s-menu`}
      className="calls-menu"
      role="menu"
      aria-label={
        kind === 'videoinput'
          ? formatMessage({id: 'calls.menu.cameras', defaultMessage: 'Cameras'})
          : kind === 'audioinput'
            ? formatMessage({id: 'calls.menu.mics', defaultMessage: 'Microphones'})
            : formatMessage({id: 'calls.menu.speakers', defaultMessage: 'Audio output devices'})
      }
    >
      {list.length === 0 && (
        <div className="calls-menu-title">
          {formatMessage({id: 'calls.menu.no_devices', defaultMessage: 'No devices'})}
        </div>
      )}
      {list.map((d) => (
        <button
          key={d.deviceId}
          role="menuitemradio"
          aria-checked={current?.deviceId === d.deviceId}
          aria-label={deviceLabel(d, d.deviceId)}
          onClick={() => {
            if (kind === 'videoinput') {
              client.setVideoInputDevice(d).catch(() => undefined);
            } else if (kind === 'audioinput') {
              client.setAudioInputDevice(d).catch(() => undefined);
            } else {
              client.setAudioOutputDevice(d);
            }
            onClose();
          }}
        >
          {current?.deviceId === d.deviceId ? '✓ ' : ''}
          {deviceLabel(d, d.deviceId)}
        </button>
      ))}
    </div>
  );
}
