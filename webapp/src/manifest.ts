// The plugin's identity, read from plugin.json so the bundle and the server can never disagree on it.
import {CALLS_PREFIX} from '@calls/protocol';

import manifest from '../../plugin.json';

export const pluginId: string = manifest.id;
export const pluginVersion: string = manifest.version;
/** The prefix of calls websocket actions and events. */
export const wsPrefix = CALLS_PREFIX;
export const sliceName = `plugins-${pluginId}`;
export const restPrefix = `/plugins/${pluginId}`;
