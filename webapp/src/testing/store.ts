// Test helpers: a real Redux store with the plugin slice and a minimal core entities state, and a scripted fake
// WebSocket for the websocket client tests.
import {combineReducers, legacy_createStore as createStore} from 'redux';

import {RECEIVED_PROFILES_LIST} from '../state/action_types';
import {callsReducer} from '../state/reducer';
import type {GlobalState} from '../state/selectors';
import type {ChannelInfo, EntitiesState, Profile} from '../types';

export const ME = 'user_me_000000000000000000';
export const ALICE = 'user_alice_000000000000000';
export const BOB = 'user_bob_00000000000000000';
export const CHANNEL = 'channel_town_square_000000';
export const DM = 'channel_dm_00000000000000';
export const TEAM = 'team_calls_00000000000000';

export function profile(id: string, username: string, roles = 'system_user'): Profile {
  return {
    id,
    username,
    email: `${username}@example.com`,
    first_name: '',
    last_name: '',
    nickname: '',
    roles,
    create_at: 1,
    update_at: 1,
    delete_at: 0,
    locale: 'en',
  };
}

export function channel(id: string, type: ChannelInfo['type'], name: string, display = name): ChannelInfo {
  return {
    id,
    team_id: type === 'D' || type === 'G' ? '' : TEAM,
    type,
    name,
    display_name: display,
    header: '',
    purpose: '',
    creator_id: ME,
    create_at: 1,
    update_at: 1,
    delete_at: 0,
    last_post_at: 1,
  };
}

export function makeStore(
  opts: {admin?: boolean; channels?: ChannelInfo[]; members?: string[]; config?: Record<string, string>} = {},
) {
  const channels = opts.channels || [
    channel(CHANNEL, 'O', 'town-square', 'Town Square'),
    channel(DM, 'D', `${ALICE}__${ME}`, 'alice'),
  ];
  const entitiesInit: EntitiesState = {
    users: {
      currentUserId: ME,
      profiles: {
        [ME]: profile(ME, 'me', opts.admin ? 'system_admin system_user' : 'system_user'),
        [ALICE]: profile(ALICE, 'alice'),
        [BOB]: profile(BOB, 'bob'),
      },
    },
    channels: {
      currentChannelId: CHANNEL,
      channels: Object.fromEntries(channels.map((c) => [c.id, c])),
      myMembers: Object.fromEntries(
        (opts.members || channels.map((c) => c.id)).map((id) => [
          id,
          {channel_id: id, user_id: ME, roles: 'channel_user', last_viewed_at: 0, msg_count: 0, mention_count: 0},
        ]),
      ),
    },
    teams: {
      currentTeamId: TEAM,
      teams: {[TEAM]: {id: TEAM, name: 'calls', display_name: 'Calls', type: 'O', create_at: 1, delete_at: 0}},
    },
    general: {config: opts.config || {}, license: {}},
  };
  const entities = (state: EntitiesState = entitiesInit, a: {type: string; data?: unknown}): EntitiesState => {
    if (a.type === RECEIVED_PROFILES_LIST) {
      const profiles = {...state.users.profiles};
      for (const p of a.data as Profile[]) {
        profiles[p.id] = p;
      }
      return {...state, users: {...state.users, profiles}};
    }
    if (a.type === 'SELECT_CHANNEL') {
      return {...state, channels: {...state.channels, currentChannelId: a.data as string}};
    }
    return state;
  };
  const reducer = combineReducers({entities, 'plugins-com.mattermost.calls': callsReducer});
  const store = createStore(reducer);
  return store as unknown as {
    dispatch(a: {type: string; data?: unknown}): unknown;
    getState(): GlobalState;
    subscribe(l: () => void): () => void;
  };
}
