// The host page's session: loading the logged-in user's directory (teams, channels, memberships, users, config),
// the main websocket (core events for the host, everything to the plugins' handlers, reconnect handlers), and
// loading plugin bundles from /api/v4/plugins/webapp exactly as Mattermost does.

import {Api} from './api';
import {dispatchWebSocketEvent, runReconnectHandlers} from './registry';
import {getHostState, HostActions, store} from './store';
import {hostLocale} from './locale';
import {navigate} from './router';
import {basename} from '../client/rest';
import {WebSocketClient, websocketURL} from '../client/websocket';
import type {PostInfo, WebSocketMessage} from '../types';

let mainWS: WebSocketClient | null = null;
const loadedBundles = new Set<string>();
type Listener = (connected: boolean) => void;
const connListeners = new Set<Listener>();

export function onConnectionChange(fn: Listener): () => void {
  connListeners.add(fn);
  return () => connListeners.delete(fn);
}

function setConnected(v: boolean) {
  connListeners.forEach((l) => l(v));
}

export function getMainWebSocket(): WebSocketClient | null {
  return mainWS;
}

export async function loadDirectory(): Promise<void> {
  const fetched = await Api.me();
  const locale = hostLocale(fetched.locale, navigator.languages?.length ? navigator.languages : [navigator.language]);
  const me = {...fetched, locale};
  store.dispatch({type: HostActions.RECEIVED_ME, data: me});
  const [users, teams, config, license] = await Promise.all([
    Api.users(),
    Api.myTeams(),
    Api.clientConfig().catch(() => ({})),
    Api.clientLicense().catch(() => ({})),
  ]);
  store.dispatch({
    type: HostActions.RECEIVED_PROFILES_LIST,
    data: users.map((u) => (u.id === me.id ? {...u, locale} : u)),
  });
  store.dispatch({type: HostActions.RECEIVED_TEAMS, data: teams});
  store.dispatch({type: HostActions.RECEIVED_CONFIG, data: config});
  store.dispatch({type: HostActions.RECEIVED_LICENSE, data: license});
  const team = teams[0];
  if (team) {
    store.dispatch({type: HostActions.SELECT_TEAM, data: team.id});
    await loadChannels(team.id);
  }
}

export async function loadChannels(teamID: string): Promise<void> {
  const [channels, members] = await Promise.all([Api.myChannels(teamID), Api.myMembers(teamID)]);
  store.dispatch({type: HostActions.RECEIVED_CHANNELS, data: channels});
  store.dispatch({type: HostActions.RECEIVED_MY_MEMBERS, data: members});
}

export async function loadPosts(channelID: string): Promise<void> {
  const list = await Api.posts(channelID);
  store.dispatch({type: HostActions.RECEIVED_POSTS, data: {channelID, list: list.order.map((id) => list.posts[id])}});
}

function parsePost(raw: unknown): PostInfo | null {
  if (typeof raw === 'string') {
    try {
      return JSON.parse(raw) as PostInfo;
    } catch {
      return null;
    }
  }
  return (raw as PostInfo) || null;
}

function handleCoreEvent(msg: WebSocketMessage): void {
  const data = msg.data as Record<string, unknown>;
  const state = getHostState();
  switch (msg.event) {
    case 'posted':
    case 'post_edited': {
      const post = parsePost(data.post);
      if (post && state.entities.channels.channels[post.channel_id]) {
        store.dispatch({type: HostActions.RECEIVED_POST, data: post});
      }
      break;
    }
    case 'user_removed': {
      const channelID = String(data.channel_id || msg.broadcast?.channel_id || '');
      const userID = String(data.user_id || msg.broadcast?.user_id || '');
      if (channelID && (!userID || userID === state.entities.users.currentUserId)) {
        store.dispatch({type: HostActions.LEFT_CHANNEL, data: channelID});
        if (state.entities.channels.currentChannelId === channelID) {
          const team = state.entities.teams.teams[state.entities.teams.currentTeamId];
          navigate(`/${team?.name || ''}/channels/town-square`);
        }
      }
      break;
    }
    default:
      break;
  }
}

export function connectMainWebSocket(): void {
  if (mainWS) {
    return;
  }
  const ws = new WebSocketClient({url: websocketURL(basename())});
  mainWS = ws;
  ws.on('event', (msg) => {
    if (msg.event === 'hello') {
      return;
    }
    handleCoreEvent(msg);
    dispatchWebSocketEvent(msg);
  });
  ws.on('open', ({reconnected}) => {
    setConnected(true);
    if (reconnected) {
      const state = getHostState();
      const teamID = state.entities.teams.currentTeamId;
      const channelID = state.entities.channels.currentChannelId;
      Promise.all([
        teamID ? loadChannels(teamID) : Promise.resolve(),
        channelID ? loadPosts(channelID) : Promise.resolve(),
      ]).catch((err) => console.warn('refresh after reconnect failed', err));
      runReconnectHandlers();
    }
  });
  ws.on('disconnect', () => setConnected(false));
  ws.on('close', (err) => {
    mainWS = null;
    setConnected(false);
    if (err) {
      // Gave up after 30 s: start over with a fresh connection a little later.
      setTimeout(() => {
        connectMainWebSocket();
      }, 5000);
    }
  });
  ws.connect();
}

export async function loadPlugins(): Promise<void> {
  const plugins = await Api.webappPlugins();
  for (const p of plugins) {
    const path = p.webapp?.bundle_path;
    if (!path || loadedBundles.has(path)) {
      continue;
    }
    loadedBundles.add(path);
    await new Promise<void>((resolve) => {
      const script = document.createElement('script');
      // Mattermost gives the bundle's path on the site; under a subpath the site's path comes first.
      script.src = path.startsWith('/') ? basename() + path : path;
      script.async = true;
      script.onload = () => resolve();
      script.onerror = () => {
        console.error(`plugin ${p.id}: could not load ${path}`);
        resolve();
      };
      document.body.appendChild(script);
    });
  }
}
