// The calls prefix of websocket action and event names (reference calls-protocol.md §1.1, §2.1):
// `custom_<plugin id>_<suffix>`, the plugin id read from plugin.json so no side can disagree on it.
import manifest from '../../../plugin.json';

export const PLUGIN_ID: string = manifest.id;
export const CALLS_PREFIX = `custom_${PLUGIN_ID}_`;
