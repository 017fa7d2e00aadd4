// Settings › Calls (reference webapp.md §2.13): registered with registerUserSettings. "Audio devices settings" is a
// custom section (microphone and speaker, saved as the defaults the next call uses and applied to a live call);
// "Screen sharing settings" is a radio setting for sharing the sound with the screen; with EnableVideo, "Video devices
// settings" has "Mirror video" (the self view in video DMs; the camera itself is chosen in the call's menu).
import {createIntl, defineMessages} from 'react-intl';

import {MIRROR_VIDEO_STORAGE_KEY, mirrorSelfVideo} from './client/devices';
import {AudioDevicesSection} from './components/user_settings/AudioDevicesSection';
import {openUserSettings} from './host';
import {pluginId} from './manifest';
import type {PluginRegistry, PluginUserSettings} from './types';
import {getTranslations, withIntl} from './utils/intl';

export const SHARE_AUDIO_KEY = 'calls_share_audio_with_screen';

const messages = defineMessages({
  tab: {id: 'calls.settings.tab', defaultMessage: 'Calls'},
  audio: {id: 'calls.settings.audio_devices', defaultMessage: 'Audio devices settings'},
  screen: {id: 'calls.settings.screen_sharing', defaultMessage: 'Screen sharing settings'},
  shareSound: {id: 'calls.settings.share_sound', defaultMessage: 'Share sound with screen'},
  video: {id: 'calls.settings.video_devices', defaultMessage: 'Video devices settings'},
  mirror: {id: 'calls.settings.mirror_video', defaultMessage: 'Mirror video'},
  mirrorHelp: {
    id: 'calls.settings.mirror_video_help',
    defaultMessage: 'You see your own camera as in a mirror. Others always see it unmirrored.',
  },
  on: {id: 'calls.settings.on', defaultMessage: 'On'},
  off: {id: 'calls.settings.off', defaultMessage: 'Off'},
  shareSoundHelp: {
    id: 'calls.settings.share_sound_help',
    defaultMessage: 'The sound your computer plays is shared along with the screen, when the browser allows it.',
  },
});

let registered = false;

/** The Calls tab, with its labels in the user's language. */
export function buildUserSettings(locale: string, enableVideo = false): PluginUserSettings {
  const intl = createIntl({locale, defaultLocale: 'en', messages: getTranslations(locale), onError: () => undefined});
  const f = intl.formatMessage;
  return {
    id: pluginId,
    uiName: f(messages.tab),
    icon: 'icon-phone-in-talk',
    sections: [
      {title: f(messages.audio), component: withIntl(AudioDevicesSection)},
      {
        title: f(messages.screen),
        settings: [
          {
            name: 'share_audio',
            title: f(messages.shareSound),
            type: 'radio',
            default: 'on',
            options: [
              {value: 'on', text: f(messages.on), helpText: f(messages.shareSoundHelp)},
              {value: 'off', text: f(messages.off)},
            ],
          },
        ],
        getValues: () => ({share_audio: readShareAudio()}),
        onSubmit: (changes) => {
          if (changes.share_audio === 'on' || changes.share_audio === 'off') {
            try {
              window.localStorage.setItem(SHARE_AUDIO_KEY, changes.share_audio);
            } catch {
              // storage disabled: the default (on) applies
            }
          }
        },
      },
      ...(enableVideo
        ? [
            {
              title: f(messages.video),
              settings: [
                {
                  name: 'mirror_video',
                  title: f(messages.mirror),
                  type: 'radio' as const,
                  default: 'off',
                  options: [
                    {value: 'on', text: f(messages.on), helpText: f(messages.mirrorHelp)},
                    {value: 'off', text: f(messages.off)},
                  ],
                },
              ],
              getValues: () => ({mirror_video: mirrorSelfVideo() ? 'on' : 'off'}),
              onSubmit: (changes: Record<string, string>) => {
                if (changes.mirror_video === 'on' || changes.mirror_video === 'off') {
                  try {
                    window.localStorage.setItem(MIRROR_VIDEO_STORAGE_KEY, String(changes.mirror_video === 'on'));
                  } catch {
                    // storage disabled: the self view stays unmirrored
                  }
                }
              },
            },
          ]
        : []),
    ],
  };
}

function readShareAudio(): 'on' | 'off' {
  try {
    return window.localStorage.getItem(SHARE_AUDIO_KEY) === 'off' ? 'off' : 'on';
  } catch {
    return 'on';
  }
}

/** At load, and again once the config says EnableVideo (the video section exists only then). */
export function registerCallsUserSettings(registry: PluginRegistry, locale: string, enableVideo = false): void {
  if (!registry.registerUserSettings) {
    return;
  }
  registry.registerUserSettings(buildUserSettings(locale, enableVideo));
  registered = true;
}

/** "Additional settings" is offered when the host has a Settings tab for the plugin. */
export function hasUserSettings(): boolean {
  return registered && Boolean(window.WebappUtils?.openUserSettings);
}

export function openCallsUserSettings(): void {
  openUserSettings(pluginId);
}
