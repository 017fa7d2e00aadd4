// The plugin registry the host page hands to each plugin's initialize(), the way Mattermost's webapp does: it records
// components, hooks and websocket handlers, and the host's React tree reads them through useRegistry().

import {useSyncExternalStore, type ComponentType, type ReactElement} from 'react';
import type {Reducer} from 'redux';

import {addPluginReducer} from './store';
import type {
  AdminSectionProps,
  AdminSettingProps,
  ChannelInfo,
  PluginRegistry,
  PluginUserSettings,
  PostTypeProps,
  SlashCommandHook,
  WebSocketEventHandler,
  WebSocketMessage,
} from '../types';

export interface CallButtonEntry {
  id: string;
  pluginId: string;
  button: ReactElement;
  dropdownButton: ReactElement;
  action: (channel: ChannelInfo) => void;
  dropdownText?: string;
}

export interface RegistryState {
  callButtons: CallButtonEntry[];
  globals: Array<{id: string; component: ComponentType}>;
  roots: Array<{id: string; component: ComponentType}>;
  postTypes: Record<string, {id: string; component: ComponentType<PostTypeProps>}>;
  toasts: Array<{id: string; component: ComponentType}>;
  sidebarLabels: Array<{id: string; component: ComponentType<{channel: ChannelInfo}>}>;
  adminSettings: Record<string, {component: ComponentType<AdminSettingProps>; showTitle: boolean}>;
  adminSections: Record<string, ComponentType<AdminSectionProps>>;
  /** Full-page routes /{team}/{pluginId}{route}… */
  teamRoutes: Array<{id: string; pluginId: string; route: string; component: ComponentType}>;
  channelHeaderMenu: Array<{id: string; text: ReactElement | string; action: (channelID: string) => void}>;
  userSettings: Array<{pluginId: string; settings: PluginUserSettings}>;
}

let state: RegistryState = {
  callButtons: [],
  globals: [],
  roots: [],
  postTypes: {},
  toasts: [],
  sidebarLabels: [],
  adminSettings: {},
  adminSections: {},
  teamRoutes: [],
  channelHeaderMenu: [],
  userSettings: [],
};
const listeners = new Set<() => void>();
const slashHooks: Array<{id: string; hook: SlashCommandHook}> = [];
const wsHandlers = new Map<string, Map<string, WebSocketEventHandler>>();
const reconnectHandlers = new Map<string, () => void>();
const translationGetters = new Map<string, (locale: string) => Record<string, string>>();
let seq = 0;

function update(fn: (s: RegistryState) => RegistryState) {
  state = fn(state);
  listeners.forEach((l) => l());
}

export function useRegistry(): RegistryState {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => state,
  );
}

export function getSlashHooks(): SlashCommandHook[] {
  return slashHooks.map((h) => h.hook);
}

/** Delivers a main-websocket event to every plugin handler registered for it. */
export function dispatchWebSocketEvent(msg: WebSocketMessage): void {
  const handlers = wsHandlers.get(msg.event);
  if (!handlers) {
    return;
  }
  for (const h of handlers.values()) {
    try {
      h(msg);
    } catch (err) {
      console.error(`plugin handler for ${msg.event} failed`, err);
    }
  }
}

/** A plugin's strings for a locale (what registerTranslations gave the host); {} when it gave none. */
export function pluginTranslations(pluginId: string, locale: string): Record<string, string> {
  return translationGetters.get(pluginId)?.(locale) || {};
}

/** The registered full-page plugin route that a path opens, if any. */
export function matchTeamRoute(s: RegistryState, path: string): RegistryState['teamRoutes'][number] | undefined {
  const m = /^\/[^/]+(\/.*)$/.exec(path);
  if (!m) {
    return undefined;
  }
  return s.teamRoutes.find((r) => m[1] === `/${r.pluginId}${r.route}` || m[1].startsWith(`/${r.pluginId}${r.route}/`));
}

export function runReconnectHandlers(): void {
  for (const h of reconnectHandlers.values()) {
    try {
      h();
    } catch (err) {
      console.error('plugin reconnect handler failed', err);
    }
  }
}

type ListKey = 'callButtons' | 'globals' | 'roots' | 'toasts' | 'sidebarLabels' | 'teamRoutes' | 'channelHeaderMenu';

export function createRegistry(pluginId: string): PluginRegistry {
  const nextID = () => `${pluginId}-${++seq}`;
  /** Appends a registration to one of the lists, under a new id (what unregisterComponent takes). */
  const add = <K extends ListKey>(key: K, entry: Omit<RegistryState[K][number], 'id'>): string => {
    const id = nextID();
    update((s) => ({...s, [key]: [...s[key], {id, ...entry}]}));
    return id;
  };
  return {
    registerReducer(reducer: Reducer) {
      addPluginReducer(pluginId, reducer);
    },
    registerCallButtonAction(button, dropdownButton, action, _icon, dropdownText) {
      return add('callButtons', {pluginId, button, dropdownButton, action, dropdownText});
    },
    registerChannelToastComponent(component) {
      return add('toasts', {component});
    },
    registerSidebarChannelLinkLabelComponent(component) {
      return add('sidebarLabels', {component});
    },
    registerPostTypeComponent(type, component) {
      const id = nextID();
      update((s) => ({...s, postTypes: {...s.postTypes, [type]: {id, component}}}));
      return id;
    },
    registerGlobalComponent(component) {
      return add('globals', {component});
    },
    registerRootComponent(component) {
      return add('roots', {component});
    },
    registerSlashCommandWillBePostedHook(hook) {
      const id = nextID();
      slashHooks.push({id, hook});
      return id;
    },
    registerWebSocketEventHandler(event: string, handler: WebSocketEventHandler) {
      let m = wsHandlers.get(event);
      if (!m) {
        m = new Map();
        wsHandlers.set(event, m);
      }
      m.set(pluginId, handler);
    },
    unregisterWebSocketEventHandler(event: string) {
      wsHandlers.get(event)?.delete(pluginId);
    },
    registerReconnectHandler(handler: () => void) {
      reconnectHandlers.set(pluginId, handler);
    },
    unregisterReconnectHandler() {
      reconnectHandlers.delete(pluginId);
    },
    registerAdminConsoleCustomSetting(key, component, opts) {
      update((s) => ({
        ...s,
        adminSettings: {...s.adminSettings, [key]: {component, showTitle: Boolean(opts?.showTitle)}},
      }));
    },
    registerAdminConsoleCustomSection(key, component) {
      update((s) => ({...s, adminSections: {...s.adminSections, [key]: component}}));
    },
    registerTranslations(getTranslations) {
      translationGetters.set(pluginId, getTranslations);
    },
    registerNeedsTeamRoute(route, component) {
      return add('teamRoutes', {pluginId, route, component});
    },
    registerChannelHeaderMenuAction(text, action) {
      return add('channelHeaderMenu', {text, action});
    },
    registerUserSettings(settings) {
      update((s) => ({
        ...s,
        userSettings: [...s.userSettings.filter((u) => u.pluginId !== pluginId), {pluginId, settings}],
      }));
    },
    unregisterComponent(id: string) {
      update((s) => ({
        ...s,
        callButtons: s.callButtons.filter((c) => c.id !== id),
        globals: s.globals.filter((c) => c.id !== id),
        roots: s.roots.filter((c) => c.id !== id),
        toasts: s.toasts.filter((c) => c.id !== id),
        sidebarLabels: s.sidebarLabels.filter((c) => c.id !== id),
        teamRoutes: s.teamRoutes.filter((c) => c.id !== id),
        channelHeaderMenu: s.channelHeaderMenu.filter((c) => c.id !== id),
        postTypes: Object.fromEntries(Object.entries(s.postTypes).filter(([, v]) => v.id !== id)),
      }));
      const i = slashHooks.findIndex((h) => h.id === id);
      if (i >= 0) {
        slashHooks.splice(i, 1);
      }
    },
  };
}
