// "Enable calls" / "Disable calls" in the channel menu (reference webapp.md §1.1 registerChannelHeaderMenuAction): for
// system admins, and when calls are on by default for DM/GM members and channel admins. The choice is saved with
// POST /plugins/com.mattermost.calls/{channelId} and broadcast back as channel_enable_voice / channel_disable_voice.
import React from 'react';
import {useIntl} from 'react-intl';
import {useSelector} from 'react-redux';

import {Rest} from '../../client/rest';
import {showGenericError} from '../../state/actions';
import {action} from '../../state/action_types';
import {
  callsConfig,
  callsEnabledInChannel,
  currentChannel,
  currentChannelId,
  getChannel,
  isChannelMember,
  isDMOrGM,
  isSystemAdmin,
  type GlobalState,
} from '../../state/selectors';
import type {StoreLike} from '../../state/store_like';

/** Who may switch calls on or off in a channel (the server checks again). */
export function canToggleCalls(state: GlobalState, channelID: string): boolean {
  if (isSystemAdmin(state)) {
    return true;
  }
  const channel = getChannel(state, channelID);
  if (!channel || !callsConfig(state).DefaultEnabled || !isChannelMember(state, channelID)) {
    return false;
  }
  if (isDMOrGM(channel)) {
    return true;
  }
  const roles = state.entities.channels.myMembers[channelID]?.roles?.split(' ') || [];
  return roles.includes('channel_admin') || roles.includes('scheme_admin');
}

export function ChannelMenuText() {
  const {formatMessage} = useIntl();
  const enabled = useSelector((s: GlobalState) => callsEnabledInChannel(s, currentChannelId(s)));
  const channel = useSelector(currentChannel);
  return (
    <span id="calls-channel-menu-toggle" data-testid="calls-channel-menu-toggle" data-channel-id={channel?.id}>
      {enabled
        ? formatMessage({id: 'calls.channel_menu.disable', defaultMessage: 'Disable calls'})
        : formatMessage({id: 'calls.channel_menu.enable', defaultMessage: 'Enable calls'})}
    </span>
  );
}

/** The menu item's action: flips the channel's explicit state. */
export async function toggleCallsInChannel(store: StoreLike, channelID: string): Promise<void> {
  const enabled = !callsEnabledInChannel(store.getState(), channelID);
  try {
    const res = await Rest.setChannelEnabled(channelID, enabled);
    store.dispatch(action('RECEIVED_CHANNEL_STATE', {channelID, enabled: res?.enabled ?? enabled}));
  } catch (err) {
    showGenericError(store, enabled ? 'Unable to enable calls' : 'Unable to disable calls', (err as Error).message);
  }
}
