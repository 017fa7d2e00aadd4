// Settings › Calls: the tab's sections, the share-sound radio stored where screen sharing reads it, and the audio
// devices section saving the default microphone and speaker ({deviceId,label} in localStorage).
import '@testing-library/jest-dom';
import {act, fireEvent, render, screen} from '@testing-library/react';
import React from 'react';
import {Provider} from 'react-redux';

import {loadSavedDevice, mirrorSelfVideo, shareAudioWithScreen} from './client/devices';
import {AudioDevicesSection} from './components/user_settings/AudioDevicesSection';
import {makeStore} from './testing/store';
import {buildUserSettings, registerCallsUserSettings} from './user_settings';
import type {PluginRegistry, PluginUserSettings} from './types';
import {PluginIntlProvider} from './utils/intl';

function device(kind: MediaDeviceKind, deviceId: string, label: string): MediaDeviceInfo {
  return {kind, deviceId, label, groupId: 'g', toJSON: () => ({})} as MediaDeviceInfo;
}

describe('Settings › Calls', () => {
  afterEach(() => {
    window.localStorage.clear();
  });

  test('registers a Calls tab with the audio devices and screen sharing sections', () => {
    let registered: PluginUserSettings | null = null;
    registerCallsUserSettings(
      {
        registerUserSettings: (s: PluginUserSettings) => {
          registered = s;
        },
      } as unknown as PluginRegistry,
      'en',
    );
    expect(registered).toMatchObject({id: 'com.mattermost.calls', uiName: 'Calls', icon: 'icon-phone-in-talk'});
    expect(registered!.sections.map((s) => s.title)).toEqual(['Audio devices settings', 'Screen sharing settings']);
    expect(registered!.sections[0].component).toBeDefined();
  });

  test('"Share sound with screen" is on by default; Off is what screen sharing then uses', () => {
    const section = buildUserSettings('en').sections[1];
    expect(section.settings?.[0]).toMatchObject({name: 'share_audio', title: 'Share sound with screen', default: 'on'});
    expect(section.getValues?.()).toEqual({share_audio: 'on'});
    expect(shareAudioWithScreen()).toBe(true);
    section.onSubmit?.({share_audio: 'off'});
    expect(window.localStorage.getItem('calls_share_audio_with_screen')).toBe('off');
    expect(shareAudioWithScreen()).toBe(false);
    expect(section.getValues?.()).toEqual({share_audio: 'off'});
  });

  test('with EnableVideo, "Video devices settings" has "Mirror video" (off by default), read by the self view', () => {
    expect(buildUserSettings('en').sections.map((s) => s.title)).not.toContain('Video devices settings');
    const section = buildUserSettings('en', true).sections[2];
    expect(section.title).toBe('Video devices settings');
    expect(section.settings?.[0]).toMatchObject({name: 'mirror_video', title: 'Mirror video', default: 'off'});
    expect(section.getValues?.()).toEqual({mirror_video: 'off'});
    expect(mirrorSelfVideo()).toBe(false);
    section.onSubmit?.({mirror_video: 'on'});
    expect(mirrorSelfVideo()).toBe(true);
    expect(section.getValues?.()).toEqual({mirror_video: 'on'});
  });

  test('the audio devices section saves the chosen microphone and speaker as the defaults', async () => {
    const devices = [
      device('audioinput', 'default', 'Default - Built-in Mic'),
      device('audioinput', 'mic-usb', 'USB Mic'),
      device('audiooutput', 'default', 'Default - Speakers'),
      device('audiooutput', 'headset', 'Headset'),
    ];
    Object.defineProperty(navigator, 'mediaDevices', {
      configurable: true,
      value: {
        enumerateDevices: async () => devices,
        getUserMedia: async () => ({getTracks: () => []}),
      },
    });
    render(
      <Provider store={makeStore() as never}>
        <PluginIntlProvider>
          <AudioDevicesSection />
        </PluginIntlProvider>
      </Provider>,
    );
    expect(screen.getByTestId('calls-settings-current-audioinput')).toHaveTextContent('Default');
    await act(async () => {
      fireEvent.click(screen.getByText('Edit'));
    });
    const mic = screen.getByLabelText('Microphone input') as HTMLSelectElement;
    expect([...mic.options].map((o) => o.textContent)).toEqual(['Default - Built-in Mic', 'USB Mic']);
    fireEvent.change(mic, {target: {value: 'mic-usb'}});
    fireEvent.change(screen.getByLabelText('Speaker output'), {target: {value: 'headset'}});
    fireEvent.click(screen.getByText('Save'));
    expect(loadSavedDevice('audioinput')).toEqual({deviceId: 'mic-usb', label: 'USB Mic'});
    expect(loadSavedDevice('audiooutput')).toEqual({deviceId: 'headset', label: 'Headset'});
    expect(screen.getByTestId('calls-settings-current-audioinput')).toHaveTextContent('USB Mic');
    expect(screen.getByTestId('calls-settings-current-audiooutput')).toHaveTextContent('Headset');
    delete (navigator as unknown as {mediaDevices?: unknown}).mediaDevices;
  });
});
