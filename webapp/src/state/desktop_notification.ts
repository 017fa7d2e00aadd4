// The desktop notification for an incoming DM/GM call (reference webapp.md §2.11): sent through the host's
// WebappUtils.sendDesktopNotificationToMe, only while the page is hidden and when the user's and the channel's
// notification settings allow it; silent when the user turned call sounds off.
import {createIntl} from 'react-intl';

import {
  channelNotifyProps,
  channelURL,
  currentUser,
  displayName,
  getChannel,
  profiles,
  userNotifyProps,
  type GlobalState,
} from './selectors';
import type {IncomingCall} from './calls_state';
import type {StoreLike} from './store_like';
import {sendDesktopNotification} from '../host';
import {getTranslations} from '../utils/intl';

/** Whether this incoming call should raise a desktop notification now. */
export function shouldNotifyDesktop(state: GlobalState, channelID: string, hidden: boolean): boolean {
  if (!hidden || userNotifyProps(state).desktop === 'none') {
    return false;
  }
  return !['none', 'never'].includes(channelNotifyProps(state, channelID).desktop || 'default');
}

export function notifyIncomingCall(store: StoreLike, call: IncomingCall): boolean {
  const state = store.getState();
  const channel = getChannel(state, call.channelID);
  if (!channel || !shouldNotifyDesktop(state, call.channelID, document.visibilityState !== 'visible')) {
    return false;
  }
  const locale = currentUser(state)?.locale || 'en';
  const intl = createIntl({locale, defaultLocale: 'en', messages: getTranslations(locale), onError: () => undefined});
  const caller = displayName(profiles(state)[call.callerID], 'Someone');
  const props = userNotifyProps(state);
  return sendDesktopNotification(store, {
    title: intl.formatMessage({id: 'calls.notification.incoming.title', defaultMessage: 'Incoming call'}),
    body: intl.formatMessage(
      {id: 'calls.notification.incoming.body', defaultMessage: '{name} is inviting you to a call'},
      {name: caller},
    ),
    channel,
    teamID: channel.team_id || state.entities.teams.currentTeamId,
    silent: props.calls_desktop_sound === 'false',
    soundName: props.calls_notification_sound || 'Calm',
    url: channelURL(state, channel),
  });
}
