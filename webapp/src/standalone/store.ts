// The host page's Redux store: a small stand-in for mattermost-redux's state.entities (users, channels, teams,
// general, posts), a thunk middleware like Mattermost's, and plugin reducers mounted at plugins-<id>.

import {
  applyMiddleware,
  combineReducers,
  legacy_createStore as createStore,
  type Middleware,
  type Reducer,
} from 'redux';

import type {ChannelInfo, EntitiesState, Membership, PostInfo, Profile, TeamInfo} from '../types';

export const HostActions = {
  RECEIVED_ME: 'RECEIVED_ME',
  RECEIVED_PROFILES_LIST: 'RECEIVED_PROFILES_LIST',
  RECEIVED_TEAMS: 'RECEIVED_TEAMS',
  SELECT_TEAM: 'SELECT_TEAM',
  RECEIVED_CHANNELS: 'RECEIVED_CHANNELS',
  RECEIVED_CHANNEL: 'RECEIVED_CHANNEL',
  RECEIVED_MY_MEMBERS: 'RECEIVED_MY_MEMBERS',
  LEFT_CHANNEL: 'LEFT_CHANNEL',
  SELECT_CHANNEL: 'SELECT_CHANNEL',
  RECEIVED_CONFIG: 'RECEIVED_CONFIG',
  RECEIVED_LICENSE: 'RECEIVED_LICENSE',
  RECEIVED_POSTS: 'RECEIVED_POSTS',
  RECEIVED_POST: 'RECEIVED_POST',
  RECEIVED_THREAD: 'RECEIVED_THREAD',
  SELECT_RHS_POST: 'SELECT_RHS_POST',
  CLOSE_RHS: 'CLOSE_RHS',
  OPEN_USER_SETTINGS: 'OPEN_USER_SETTINGS',
  CLOSE_USER_SETTINGS: 'CLOSE_USER_SETTINGS',
  LOGOUT: 'LOGOUT',
} as const;

type HostAction = {type: string; data?: unknown};

export interface PostsState {
  posts: Record<string, PostInfo>;
  /** Post ids per channel, oldest first. */
  byChannel: Record<string, string[]>;
}

export interface HostEntities extends EntitiesState {
  posts: PostsState;
}

/** The host's UI state: the right-hand side (a thread) and the Settings modal. */
export interface ViewsState {
  rhs: {isOpen: boolean; selectedPostId: string};
  settings: {open: boolean; tab: string};
}

function users(
  state: EntitiesState['users'] = {currentUserId: '', profiles: {}},
  a: HostAction,
): EntitiesState['users'] {
  switch (a.type) {
    case HostActions.RECEIVED_ME: {
      const me = a.data as Profile;
      return {currentUserId: me.id, profiles: {...state.profiles, [me.id]: me}};
    }
    case HostActions.RECEIVED_PROFILES_LIST: {
      const profiles = {...state.profiles};
      for (const p of a.data as Profile[]) {
        profiles[p.id] = p;
      }
      return {...state, profiles};
    }
    default:
      return state;
  }
}

function channels(
  state: EntitiesState['channels'] = {currentChannelId: '', channels: {}, myMembers: {}},
  a: HostAction,
): EntitiesState['channels'] {
  switch (a.type) {
    case HostActions.RECEIVED_CHANNELS: {
      const chans = {...state.channels};
      for (const c of a.data as ChannelInfo[]) {
        chans[c.id] = c;
      }
      return {...state, channels: chans};
    }
    case HostActions.RECEIVED_CHANNEL: {
      const c = a.data as ChannelInfo;
      return {...state, channels: {...state.channels, [c.id]: c}};
    }
    case HostActions.RECEIVED_MY_MEMBERS: {
      const members: Record<string, Membership> = {};
      for (const m of a.data as Membership[]) {
        members[m.channel_id] = m;
      }
      return {...state, myMembers: members};
    }
    case HostActions.LEFT_CHANNEL: {
      const id = a.data as string;
      const myMembers = {...state.myMembers};
      delete myMembers[id];
      return {...state, myMembers};
    }
    case HostActions.SELECT_CHANNEL:
      return {...state, currentChannelId: a.data as string};
    default:
      return state;
  }
}

function teams(state: EntitiesState['teams'] = {currentTeamId: '', teams: {}}, a: HostAction): EntitiesState['teams'] {
  switch (a.type) {
    case HostActions.RECEIVED_TEAMS: {
      const t = {...state.teams};
      for (const team of a.data as TeamInfo[]) {
        t[team.id] = team;
      }
      return {...state, teams: t};
    }
    case HostActions.SELECT_TEAM:
      return {...state, currentTeamId: a.data as string};
    default:
      return state;
  }
}

function general(state: EntitiesState['general'] = {config: {}, license: {}}, a: HostAction): EntitiesState['general'] {
  switch (a.type) {
    case HostActions.RECEIVED_CONFIG:
      return {...state, config: a.data as Record<string, string>};
    case HostActions.RECEIVED_LICENSE:
      return {...state, license: a.data as Record<string, string>};
    default:
      return state;
  }
}

function addPost(state: PostsState, p: PostInfo): PostsState {
  const ids = state.byChannel[p.channel_id] || [];
  const exists = ids.includes(p.id);
  const list = exists ? ids : [...ids, p.id];
  list.sort(
    (x, y) => ((x === p.id ? p : state.posts[x])?.create_at || 0) - ((y === p.id ? p : state.posts[y])?.create_at || 0),
  );
  return {posts: {...state.posts, [p.id]: p}, byChannel: {...state.byChannel, [p.channel_id]: list}};
}

function posts(state: PostsState = {posts: {}, byChannel: {}}, a: HostAction): PostsState {
  switch (a.type) {
    case HostActions.RECEIVED_POSTS: {
      const {channelID, list} = a.data as {channelID: string; list: PostInfo[]};
      const all = {...state.posts};
      for (const p of list) {
        all[p.id] = p;
      }
      const local = (state.byChannel[channelID] || []).filter((id) => id.startsWith('ephemeral-'));
      const ids = [...list.map((p) => p.id), ...local].sort(
        (x, y) => (all[x]?.create_at || 0) - (all[y]?.create_at || 0),
      );
      return {posts: all, byChannel: {...state.byChannel, [channelID]: ids}};
    }
    case HostActions.RECEIVED_POST:
      return addPost(state, a.data as PostInfo);
    case HostActions.RECEIVED_THREAD:
      return (a.data as PostInfo[]).reduce(addPost, state);
    default:
      return state;
  }
}

function rhs(state: ViewsState['rhs'] = {isOpen: false, selectedPostId: ''}, a: HostAction): ViewsState['rhs'] {
  switch (a.type) {
    case HostActions.SELECT_RHS_POST:
      return {isOpen: true, selectedPostId: a.data as string};
    case HostActions.CLOSE_RHS:
      return {isOpen: false, selectedPostId: ''};
    default:
      return state;
  }
}

function settings(state: ViewsState['settings'] = {open: false, tab: ''}, a: HostAction): ViewsState['settings'] {
  switch (a.type) {
    case HostActions.OPEN_USER_SETTINGS:
      return {open: true, tab: a.data as string};
    case HostActions.CLOSE_USER_SETTINGS:
      return {open: false, tab: state.tab};
    default:
      return state;
  }
}

const entities = combineReducers({users, channels, teams, general, posts});
const views = combineReducers({rhs, settings});

const thunk: Middleware = (api) => (next) => (action) => {
  if (typeof action === 'function') {
    return action(api.dispatch, api.getState);
  }
  return next(action);
};

const pluginReducers: Record<string, Reducer> = {};

function rootReducer() {
  return combineReducers({entities, views, ...pluginReducers});
}

export const store = createStore(rootReducer(), applyMiddleware(thunk));

export type HostState = {entities: HostEntities; views: ViewsState} & Record<string, unknown>;

export function getHostState(): HostState {
  return store.getState() as unknown as HostState;
}

export function addPluginReducer(pluginId: string, reducer: Reducer): void {
  pluginReducers[`plugins-${pluginId}`] = reducer;
  store.replaceReducer(rootReducer() as unknown as Parameters<typeof store.replaceReducer>[0]);
}
