// What the plugin reaches in the host webapp outside the registry (reference webapp.md §1.1): window.ProductApi (the
// right-hand side that shows threads, the main websocket) and window.WebappUtils (navigation, Settings, ring sounds).
// Every accessor tolerates a host that lacks the helper, as older Mattermost versions do.
import {STANDALONE_HOST_CONFIG_KEY} from '@calls/protocol';

import type {GlobalState} from './state/selectors';
import type {ChannelInfo, ProductApi, WebappUtils} from './types';
import type {StoreLike} from './state/store_like';

declare global {
  interface Window {
    ProductApi?: ProductApi;
    WebappUtils?: WebappUtils;
  }
}

/**
 * False on our standalone host page, whose server says in its client config that the page's main websocket is
 * ours; true inside Mattermost (which never sends that key), where the calls events come on the plugin's websocket.
 */
export function isInsideMattermost(state: GlobalState): boolean {
  return state.entities?.general?.config?.[STANDALONE_HOST_CONFIG_KEY] !== 'true';
}

/** Opens a thread (the call thread) in the host's right-hand side. */
export function selectRhsPost(store: StoreLike, postID: string): boolean {
  const api = window.ProductApi;
  if (!api || !postID) {
    return false;
  }
  store.dispatch(api.selectRhsPost(postID) as {type: string});
  return true;
}

export function closeRhs(store: StoreLike): void {
  const api = window.ProductApi;
  if (api) {
    store.dispatch(api.closeRhs());
  }
}

/** The post id the right-hand side shows, '' when it is closed. */
export function rhsSelectedPostID(state: unknown): string {
  const api = window.ProductApi;
  if (!api || !api.getIsRhsOpen(state)) {
    return '';
  }
  return api.getRhsSelectedPostId(state) || '';
}

/** Sends a calls action on the host's main websocket (the pop-out asks for call_state this way). */
export function sendOnMainWebSocket(action: string, data: Record<string, unknown>): boolean {
  const ws = window.ProductApi?.useWebSocketClient();
  if (!ws) {
    return false;
  }
  ws.sendMessage(action, data);
  return true;
}

export function openUserSettings(tab: string): boolean {
  const fn = window.WebappUtils?.openUserSettings;
  if (!fn) {
    return false;
  }
  fn({activeTab: tab});
  return true;
}

export function ringSound(sound: string): boolean {
  const sounds = window.WebappUtils?.notificationSounds;
  if (!sounds) {
    return false;
  }
  sounds.ring(sound);
  return true;
}

export function stopRingSound(): void {
  window.WebappUtils?.notificationSounds?.stopRing();
}

export interface DesktopNotification {
  title: string;
  body: string;
  channel: ChannelInfo;
  teamID: string;
  silent: boolean;
  soundName: string;
  url: string;
}

/** Asks the host to show a desktop notification (it checks the browser's permission); false when it cannot. */
export function sendDesktopNotification(store: StoreLike, n: DesktopNotification): boolean {
  const fn = window.WebappUtils?.sendDesktopNotificationToMe;
  if (!fn) {
    return false;
  }
  store.dispatch(fn(n.title, n.body, n.channel, n.teamID, n.silent, n.soundName, n.url) as {type: string});
  return true;
}
