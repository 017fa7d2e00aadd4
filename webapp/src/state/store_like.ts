// The two store methods actions need; the plugin receives the host's store (Mattermost's or the standalone page's)
// and never relies on a thunk middleware being installed.
import type {GlobalState} from './selectors';

export interface StoreLike {
  dispatch(action: {type: string; data?: unknown}): unknown;
  getState(): GlobalState;
}
