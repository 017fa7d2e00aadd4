// The plugin entry point: window.registerPlugin('com.mattermost.calls', …) registers the reducer, translations, the
// call button, the widget, the in-page expanded view (used only when the pop-out is blocked), incoming-call cards and
// modals (global components), the pop-out window's route, the call post type, the toast and sidebar icon, the channel
// menu's Enable/Disable calls, the Settings tab, the slash-command hook, the websocket event handlers, the reconnect
// handler and the System Console settings.
import React from 'react';
import type {AnyAction, Store} from 'redux';

import {CallsDisabledError, joinCall, listenToPopOut} from './call_flow';
import {getCallsClient, ownCallsClient} from './client/current';
import {
  allSettingKeys,
  makeSectionComponent,
  makeSettingComponent,
  settingSectionKeys,
} from './components/admin_console/settings';
import {ConnectivityReport} from './components/admin_console/ConnectivityReport';
import {ChannelCallButton} from './components/call_button/ChannelCallButton';
import {CallWidgetRoot} from './components/call_widget/CallWidget';
import {ChannelCallToast} from './components/channel_toast/ChannelCallToast';
import {injectStyles} from './components/common/styles';
import {PostType} from './components/custom_post_types/PostType';
import {RecordingPost} from './components/custom_post_types/RecordingPost';
import {canToggleCalls, ChannelMenuText, toggleCallsInChannel} from './components/channel_menu/ChannelMenuAction';
import {ExpandedViewRoot} from './components/expanded_view/ExpandedView';
import {PopOutRoute} from './components/expanded_view/PopOutRoute';
import {IncomingCallContainer} from './components/incoming_calls/IncomingCalls';
import {JoinCallWatcher} from './components/join_call_watcher/JoinCallWatcher';
import {Modals} from './components/modals/Modals';
import {ConnectivityCheckModal} from './components/connectivity/ConnectivityCheck';
import {ChannelLinkLabel} from './components/sidebar/ChannelLinkLabel';
import {openEventsSocket, sendCallsAction} from './client/events_socket';
import {basename} from './client/rest';
import {isInsideMattermost} from './host';
import {pluginId, wsPrefix} from './manifest';
import {isPopOutWindow, POPOUT_ROUTE} from './popout';
import {shortcutFor} from './shortcuts';
import {slashCommandWillBePosted} from './slash_commands';
import {loadCallsConfig, loadChannels, loadEnvOverrides, loadVersionInfo, showGenericError} from './state/actions';
import {action} from './state/action_types';
import {callsReducer} from './state/reducer';
import {stopRingingOnClick} from './state/ringing';
import {callsConfig, currentChannelId, currentUser} from './state/selectors';
import type {StoreLike} from './state/store_like';
import {CALLS_EVENTS, handleWebSocketEvent} from './state/ws_events';
import type {PluginClass, PluginRegistry} from './types';
import {registerCallsUserSettings} from './user_settings';
import {getTranslations, withIntl} from './utils/intl';

declare global {
  interface Window {
    registerPlugin(id: string, plugin: PluginClass): void;
  }
}

export default class Plugin implements PluginClass {
  #registry: PluginRegistry | null = null;
  #store: StoreLike | null = null;
  #componentIDs: string[] = [];
  #menuActionID: string | null = null;
  #cleanups: Array<() => void> = [];
  #onKeyDown = (e: KeyboardEvent) => {
    // The global join shortcut is not for the pop-out, which shows one call only.
    if (shortcutFor(e) !== 'join' || !this.#store || isPopOutWindow()) {
      return;
    }
    e.preventDefault();
    e.stopImmediatePropagation();
    const channelID = currentChannelId(this.#store.getState());
    if (channelID) {
      this.#join(channelID);
    }
  };

  async initialize(registry: PluginRegistry, reduxStore: Store<unknown, AnyAction>): Promise<void> {
    const store = reduxStore as unknown as StoreLike;
    this.#registry = registry;
    this.#store = store;
    injectStyles();

    registry.registerReducer(callsReducer);
    registry.registerTranslations?.(getTranslations);

    const IntlButton = withIntl(ChannelCallButton);
    this.#componentIDs.push(
      registry.registerCallButtonAction(
        <IntlButton />,
        <IntlButton dropdown={true} />,
        (channel) => this.#join(channel.id),
        undefined,
        'Start call',
      ),
    );
    this.#componentIDs.push(registry.registerGlobalComponent(withIntl(CallWidgetRoot)));
    this.#componentIDs.push(registry.registerGlobalComponent(withIntl(ExpandedViewRoot)));
    this.#componentIDs.push(registry.registerGlobalComponent(withIntl(Modals)));
    this.#componentIDs.push(registry.registerGlobalComponent(withIntl(ConnectivityCheckModal)));
    this.#componentIDs.push(registry.registerGlobalComponent(withIntl(IncomingCallContainer)));
    if (registry.registerNeedsTeamRoute) {
      this.#componentIDs.push(registry.registerNeedsTeamRoute(POPOUT_ROUTE, withIntl(PopOutRoute)));
    }
    this.#componentIDs.push(registry.registerPostTypeComponent('custom_calls', withIntl(PostType)));
    this.#componentIDs.push(registry.registerPostTypeComponent('custom_calls_recording', withIntl(RecordingPost)));
    if (registry.registerRootComponent) {
      this.#componentIDs.push(registry.registerRootComponent(JoinCallWatcher));
    }
    if (registry.registerChannelToastComponent) {
      this.#componentIDs.push(registry.registerChannelToastComponent(withIntl(ChannelCallToast)));
    }
    if (registry.registerSidebarChannelLinkLabelComponent) {
      this.#componentIDs.push(registry.registerSidebarChannelLinkLabelComponent(withIntl(ChannelLinkLabel)));
    }
    registry.registerSlashCommandWillBePostedHook((message, args) => slashCommandWillBePosted(store, message, args));

    const refresh = () => {
      this.#onReconnect().catch((err) => console.error('calls: reconnect refresh failed', err));
    };
    if (isInsideMattermost(store.getState())) {
      // Mattermost's main socket carries no calls events: they come on the plugin's websocket.
      this.#cleanups.push(
        openEventsSocket({
          basename: basename(),
          onEvent: (msg) => handleWebSocketEvent(store, msg),
          onReconnect: refresh,
        }),
      );
    } else {
      for (const ev of CALLS_EVENTS) {
        registry.registerWebSocketEventHandler(`${wsPrefix}${ev}`, (msg) => handleWebSocketEvent(store, msg));
      }
    }
    registry.registerWebSocketEventHandler('user_removed', (msg) => handleWebSocketEvent(store, msg));
    registry.registerReconnectHandler(refresh);

    if (registry.registerAdminConsoleCustomSetting) {
      for (const key of allSettingKeys) {
        registry.registerAdminConsoleCustomSetting(key, withIntl(makeSettingComponent(key)), {showTitle: false});
      }
    }

    if (registry.registerAdminConsoleCustomSection) {
      for (const key of settingSectionKeys) {
        registry.registerAdminConsoleCustomSection(key, withIntl(makeSectionComponent(key)));
      }
      registry.registerAdminConsoleCustomSection('ConnectivityCheck', withIntl(ConnectivityReport));
    }

    registerCallsUserSettings(registry, currentUser(store.getState())?.locale || 'en');
    this.#watchChannelMenu();

    document.addEventListener('keydown', this.#onKeyDown, true);
    if (!isPopOutWindow()) {
      this.#cleanups.push(listenToPopOut(store), stopRingingOnClick(store));
    }
    await this.#activate();
  }

  /**
   * "Enable/Disable calls" is in the channel menu only where the user may change it, so the item is registered and
   * unregistered as the current channel (and what the user may do there) changes.
   */
  #watchChannelMenu(): void {
    const registry = this.#registry;
    const store = this.#store as StoreLike & {subscribe?: (l: () => void) => () => void};
    if (!registry?.registerChannelHeaderMenuAction || isPopOutWindow()) {
      return;
    }
    const update = () => {
      const state = store.getState();
      const allowed = canToggleCalls(state, currentChannelId(state));
      if (allowed && !this.#menuActionID) {
        this.#menuActionID =
          registry.registerChannelHeaderMenuAction?.(React.createElement(withIntl(ChannelMenuText)), (channelID) => {
            toggleCallsInChannel(store, channelID).catch(() => undefined);
          }) || null;
      } else if (!allowed && this.#menuActionID) {
        registry.unregisterComponent(this.#menuActionID);
        this.#menuActionID = null;
      }
    };
    update();
    if (store.subscribe) {
      this.#cleanups.push(store.subscribe(update));
    }
  }

  uninitialize(): void {
    document.removeEventListener('keydown', this.#onKeyDown, true);
    this.#cleanups.forEach((fn) => fn());
    this.#cleanups = [];
    if (this.#menuActionID) {
      this.#registry?.unregisterComponent(this.#menuActionID);
      this.#menuActionID = null;
    }
    ownCallsClient()?.disconnect();
    for (const id of this.#componentIDs) {
      this.#registry?.unregisterComponent(id);
    }
    this.#registry?.unregisterReconnectHandler();
    this.#store?.dispatch(action('UNINIT', {}));
  }

  #join(channelID: string): void {
    const store = this.#store;
    if (!store) {
      return;
    }
    joinCall(store, channelID).catch((err) => {
      if (err instanceof CallsDisabledError) {
        showGenericError(store, 'Unable to start call', err.message);
      } else {
        console.error('calls: join failed', err);
      }
    });
  }

  async #activate(): Promise<void> {
    const store = this.#store as StoreLike;
    await Promise.all([
      loadCallsConfig(store).catch((err) => console.error('calls: loading config failed', err)),
      loadVersionInfo(store),
      loadEnvOverrides(store),
    ]);
    await loadChannels(store).catch((err) => console.error('calls: loading channels failed', err));
    store.dispatch(action('CHANNELS_LOADED', {}));
    if (this.#registry && callsConfig(store.getState()).EnableVideo) {
      registerCallsUserSettings(this.#registry, currentUser(store.getState())?.locale || 'en', true);
    }
  }

  /** After the main websocket reconnects: refetch everything; the current call asks for its state over its socket. */
  async #onReconnect(): Promise<void> {
    const store = this.#store as StoreLike;
    const client = getCallsClient();
    if (!client) {
      store.dispatch(action('UNINIT', {}));
    }
    await this.#activate();
    if (!client) {
      return;
    }
    if (ownCallsClient()) {
      client.ws?.send(`${wsPrefix}call_state`, {channelID: client.channelID});
    } else {
      // The pop-out: its store is fed by this window's calls events socket, so the state is asked for there.
      sendCallsAction(`${wsPrefix}call_state`, {channelID: client.channelID});
    }
  }
}

if (typeof window !== 'undefined' && typeof window.registerPlugin === 'function') {
  window.registerPlugin(pluginId, new Plugin());
}
