// Settings › Calls › Audio devices: the microphone and speaker used by default. Shows the saved choice; Edit lists the
// devices (asking for microphone permission once, so they have labels), Save stores them as the defaults and applies
// them to the call in progress.
import React, {useCallback, useEffect, useState} from 'react';
import {useIntl} from 'react-intl';

import {getCallsClient} from '../../client/current';
import {
  audioConstraints,
  deviceLabel,
  findDevice,
  listDevices,
  loadSavedDevice,
  saveDevice,
  type DeviceKind,
  type DeviceLists,
} from '../../client/devices';

const kinds: DeviceKind[] = ['audioinput', 'audiooutput'];

async function devicesWithLabels(): Promise<DeviceLists> {
  let lists = await listDevices();
  if (lists.audioinput.length && !lists.audioinput.some((d) => d.label) && navigator.mediaDevices?.getUserMedia) {
    try {
      const probe = await navigator.mediaDevices.getUserMedia(audioConstraints());
      probe.getTracks().forEach((t) => t.stop());
      lists = await listDevices();
    } catch {
      // No permission: the devices are listed without labels.
    }
  }
  return lists;
}

export function AudioDevicesSection() {
  const {formatMessage} = useIntl();
  const [editing, setEditing] = useState(false);
  const [lists, setLists] = useState<DeviceLists>({audioinput: [], audiooutput: []});
  const [chosen, setChosen] = useState<Record<DeviceKind, string>>({audioinput: '', audiooutput: ''});
  const [saved, setSaved] = useState(() => ({
    audioinput: loadSavedDevice('audioinput'),
    audiooutput: loadSavedDevice('audiooutput'),
  }));
  const [status, setStatus] = useState('');

  useEffect(() => {
    if (!editing) {
      return;
    }
    let live = true;
    devicesWithLabels()
      .then((l) => {
        if (!live) {
          return;
        }
        setLists(l);
        setChosen({
          audioinput: findDevice(l.audioinput, saved.audioinput)?.deviceId || l.audioinput[0]?.deviceId || '',
          audiooutput: findDevice(l.audiooutput, saved.audiooutput)?.deviceId || l.audiooutput[0]?.deviceId || '',
        });
      })
      .catch(() =>
        setStatus(
          formatMessage({id: 'calls.settings.devices_error', defaultMessage: 'Unable to list the audio devices.'}),
        ),
      );
    return () => {
      live = false;
    };
  }, [editing, saved, formatMessage]);

  const save = useCallback(() => {
    const client = getCallsClient();
    const next = {...saved};
    for (const kind of kinds) {
      const d = lists[kind].find((x) => x.deviceId === chosen[kind]);
      if (!d) {
        continue;
      }
      saveDevice(kind, {deviceId: d.deviceId, label: d.label});
      next[kind] = {deviceId: d.deviceId, label: d.label};
      if (client) {
        if (kind === 'audioinput') {
          client.setAudioInputDevice(d, false).catch(() => undefined);
        } else {
          client.setAudioOutputDevice(d, false);
        }
      }
    }
    setSaved(next);
    setEditing(false);
    setStatus(formatMessage({id: 'calls.settings.saved', defaultMessage: 'Saved.'}));
  }, [saved, lists, chosen, formatMessage]);

  const title = (kind: DeviceKind) =>
    kind === 'audioinput'
      ? formatMessage({id: 'calls.settings.mic_input', defaultMessage: 'Microphone input'})
      : formatMessage({id: 'calls.settings.speaker_output', defaultMessage: 'Speaker output'});
  const none = formatMessage({id: 'calls.settings.default_device', defaultMessage: 'Default'});

  if (!editing) {
    return (
      <div className="calls-settings-section" data-testid="calls-settings-audio-devices">
        {kinds.map((kind) => (
          <div key={kind}>
            <b>{title(kind)}</b>
            {': '}
            <span data-testid={`calls-settings-current-${kind}`}>{saved[kind]?.label || none}</span>
          </div>
        ))}
        <button
          type="button"
          id="calls-settings-audio-edit"
          className="calls-settings-button"
          onClick={() => {
            setStatus('');
            setEditing(true);
          }}
        >
          {formatMessage({id: 'calls.settings.edit', defaultMessage: 'Edit'})}
        </button>
        {status && <span role="status">{` ${status}`}</span>}
      </div>
    );
  }
  return (
    <div className="calls-settings-section" data-testid="calls-settings-audio-devices">
      {kinds.map((kind) => (
        <label key={kind} style={{display: 'flex', flexDirection: 'column', gap: 4, marginBottom: 8}}>
          <b>{title(kind)}</b>
          <select
            id={`calls-settings-${kind}`}
            value={chosen[kind]}
            onChange={(e) => setChosen((c) => ({...c, [kind]: e.target.value}))}
          >
            {lists[kind].length === 0 && (
              <option value="">{formatMessage({id: 'calls.menu.no_devices', defaultMessage: 'No devices'})}</option>
            )}
            {lists[kind].map((d) => (
              <option key={d.deviceId} value={d.deviceId}>
                {deviceLabel(d, d.deviceId)}
              </option>
            ))}
          </select>
        </label>
      ))}
      <button
        type="button"
        id="calls-settings-audio-save"
        className="calls-settings-button calls-settings-button--primary"
        onClick={save}
      >
        {formatMessage({id: 'calls.settings.save', defaultMessage: 'Save'})}
      </button>{' '}
      <button
        type="button"
        id="calls-settings-audio-cancel"
        className="calls-settings-button"
        onClick={() => setEditing(false)}
      >
        {formatMessage({id: 'calls.settings.cancel', defaultMessage: 'Cancel'})}
      </button>
      {status && <span role="status">{` ${status}`}</span>}
    </div>
  );
}
