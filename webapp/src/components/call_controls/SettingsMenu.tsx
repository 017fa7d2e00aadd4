// "More options" of the call controls: the audio output, microphone and (video DMs) camera pickers, and the links to more settings.
import React, {useRef, useState} from 'react';
import {useIntl} from 'react-intl';
import {useSelector} from 'react-redux';

import {ActionItem} from './ActionItem';
import type {CallControls, ControlsSurface} from './controls';
import {DeviceMenu} from './DeviceMenu';
import {MORE_BUTTON_ID} from './MoreButton';
import {useCallsClient, useCallsStore} from '../common/hooks';
import {useDismiss} from '../../utils/dismiss';
import {openConnectivityCheck} from '../connectivity/ConnectivityCheck';
import {useRecordingLabel, useToggleRecording} from '../expanded_view/RecordButton';
import {deviceLabel} from '../../client/devices';
import {selectRhsPost} from '../../host';
import {callInChannel, type GlobalState} from '../../state/selectors';
import {hasUserSettings, openCallsUserSettings} from '../../user_settings';

type DeviceKind = 'audioinput' | 'audiooutput' | 'videoinput';

const DEVICE_BUTTON: Record<DeviceKind, string> = {
  audiooutput: 'audio-output',
  audioinput: 'audio-input',
  videoinput: 'video-input',
};

/** An item that opens (or closes) the list of one kind of device, with the one in use under its title. */
function DeviceItem(props: {
  kind: DeviceKind;
  surface: ControlsSurface;
  sub: DeviceKind | null;
  setSub: (kind: DeviceKind | null) => void;
  title: string;
  current: string;
}) {
  const open = props.sub === props.kind;
  return (
    <button
      role="menuitem"
      id={`${props.surface}-${DEVICE_BUTTON[props.kind]}-button`}
      aria-haspopup="menu"
      aria-controls={`${props.surface}-${props.kind}s-menu`}
      aria-expanded={open}
      onClick={() => props.setSub(open ? null : props.kind)}
    >
      {props.title}
      <span className="calls-menu-sub">{props.current}</span>
    </button>
  );
}

/**
 * "More options": device pickers, and in the widget also presenting, recording (the host's) and the call thread; "Additional settings"
 * opens Settings › Calls.
 */
export function SettingsMenu({
  onClose,
  controls,
  surface,
}: {
  onClose: () => void;
  controls: CallControls;
  surface: ControlsSurface;
}) {
  const {formatMessage} = useIntl();
  const store = useCallsStore();
  const client = useCallsClient(['devicechange']);
  const threadID = useSelector((s: GlobalState) => callInChannel(s, controls.channelID)?.threadID || '');
  const [sub, setSub] = useState<DeviceKind | null>(null);
  const ref = useRef<HTMLDivElement>(null);
  const widget = surface === 'calls-widget';
  const toggleRecording = useToggleRecording(controls.channelID);
  const recording = useRecordingLabel(controls.channelID);
  useDismiss(ref, onClose, `#${MORE_BUTTON_ID[surface]}`);
  const micLabel = client?.currentAudioInput
    ? deviceLabel(client.currentAudioInput, '')
    : formatMessage({id: 'calls.menu.no_mic', defaultMessage: 'No audio input devices'});
  const speakerLabel = client?.currentAudioOutput
    ? deviceLabel(client.currentAudioOutput, '')
    : formatMessage({id: 'calls.menu.default_output', defaultMessage: 'Default'});
  return (
    <div ref={ref} className="calls-menu-popup" style={{right: 0}}>
      {sub && <DeviceMenu kind={sub} onClose={onClose} surface={surface} />}
      <div
        id={`${surface}-settings-menu`}
        data-testid={`${surface}-menu`}
        className="calls-menu"
        role="menu"
        aria-label={formatMessage({id: 'calls.menu.more', defaultMessage: 'More options'})}
      >
        <DeviceItem
          kind="audiooutput"
          {...{surface, sub, setSub}}
          title={formatMessage({id: 'calls.menu.audio_output', defaultMessage: 'Audio output'})}
          current={speakerLabel}
        />
        <DeviceItem
          kind="audioinput"
          {...{surface, sub, setSub}}
          title={formatMessage({id: 'calls.menu.microphone', defaultMessage: 'Microphone'})}
          current={micLabel}
        />
        {controls.videoEnabled && (
          <DeviceItem
            kind="videoinput"
            {...{surface, sub, setSub}}
            title={formatMessage({id: 'calls.menu.camera', defaultMessage: 'Camera'})}
            current={
              client?.currentCamera
                ? deviceLabel(client.currentCamera, '')
                : formatMessage({id: 'calls.menu.no_camera', defaultMessage: 'No video input devices'})
            }
          />
        )}
        {widget && (
          <button
            role="menuitem"
            id="calls-widget-menu-screenshare"
            disabled={!controls.sharing && !controls.canShare}
            onClick={() => {
              controls.toggleScreen();
              onClose();
            }}
          >
            {controls.sharing
              ? formatMessage({id: 'calls.screen.stop', defaultMessage: 'Stop presenting'})
              : formatMessage({id: 'calls.screen.start', defaultMessage: 'Start presenting'})}
          </button>
        )}
        {widget && toggleRecording && (
          <ActionItem id="calls-widget-menu-record-button" onClose={onClose} act={toggleRecording}>
            {recording.label}
          </ActionItem>
        )}
        {widget && threadID && (
          <ActionItem id="calls-widget-menu-chat-button" onClose={onClose} act={() => selectRhsPost(store, threadID)}>
            {formatMessage({id: 'calls.menu.chat', defaultMessage: 'Show chat thread'})}
          </ActionItem>
        )}
        {widget && (
          <ActionItem id="calls-widget-menu-connectivity" onClose={onClose} act={openConnectivityCheck}>
            {formatMessage({id: 'calls.connectivity.start', defaultMessage: 'Check connectivity'})}
          </ActionItem>
        )}
        {hasUserSettings() && (
          <ActionItem id={`${surface}-menu-additional-settings`} onClose={onClose} act={openCallsUserSettings}>
            {formatMessage({id: 'calls.menu.additional_settings', defaultMessage: 'Additional settings'})}
          </ActionItem>
        )}
      </div>
    </div>
  );
}
