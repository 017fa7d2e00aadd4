export * from './types';
export {ConfigService} from './service';
export {ConfigError} from './validate';
export {buildClientConfig, credentialLessTURN, type ClientConfig, type LicenseInfo} from './client';
export {SETTINGS, SETTINGS_BY_KEY, SECRET_KEYS, PLUGIN_ID, PLUGIN_VERSION, defaultConfig, manifestJson} from './schema';
export {envNameFor, readEnvOverrides} from './env';
