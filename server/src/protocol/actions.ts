// Client → server websocket actions (reference calls-protocol.md §1.2): the allow-list of suffixes and the wire
// name. The shape of each action's `data` is in action-schemas.ts (zod, which the webapp bundle leaves out).
import {CALLS_PREFIX} from './names';

/** The allow-list of action suffixes (server/client_message.go validClientMessageTypes). */
export const CALLS_ACTION_NAMES = [
  'join',
  'leave',
  'reconnect',
  'sdp',
  'ice',
  'mute',
  'unmute',
  'voice_on',
  'voice_off',
  'screen_on',
  'screen_off',
  'video_on',
  'video_off',
  'raise_hand',
  'unraise_hand',
  'react',
  'caption',
  'metric',
  'call_state',
  'ping',
] as const;
export type CallsAction = (typeof CALLS_ACTION_NAMES)[number];
export const CALLS_ACTIONS: ReadonlySet<string> = new Set(CALLS_ACTION_NAMES);

/** The wire name of a calls action: `custom_com.mattermost.calls_<suffix>`. */
export function actionName(action: CallsAction): string {
  return CALLS_PREFIX + action;
}
