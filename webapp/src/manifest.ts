// The plugin's identity, read from plugin.json so the bundle and the server can never disagree on it.
import manifest from '../../plugin.json';

export const pluginId: string = manifest.id;
export const pluginVersion: string = manifest.version;
export const wsPrefix = `custom_${pluginId}_`;
export const sliceName = `plugins-${pluginId}`;
export const restPrefix = `/plugins/${pluginId}`;
