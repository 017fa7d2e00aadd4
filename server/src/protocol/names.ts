// The calls prefix of websocket action and event names (reference calls-protocol.md §1.1, §2.1):
// `custom_<plugin id>_<suffix>`, the plugin id read from plugin.json so no side can disagree on it.
import manifest from '../../../plugin.json';

export const PLUGIN_ID: string = manifest.id;
export const CALLS_PREFIX = `custom_${PLUGIN_ID}_`;

/**
 * The calls websocket under the plugin's routes: where clients outside the standalone page (the webapp inside
 * Mattermost, the recorder) connect, since Mattermost's own /api/v4/websocket cannot carry our events.
 */
export const PLUGIN_WEBSOCKET_PATH = `/plugins/${PLUGIN_ID}/websocket`;

/**
 * The key our standalone platform adds to /api/v4/config/client (value 'true'): the host page's main websocket is
 * ours and carries the calls events. Mattermost never sends it, so the webapp inside Mattermost opens
 * PLUGIN_WEBSOCKET_PATH instead.
 */
export const STANDALONE_HOST_CONFIG_KEY = 'CallsStandaloneHost';
