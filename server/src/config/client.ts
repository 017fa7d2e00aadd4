// The client config JSON of GET /config (reference §5.3).
import type {ClientConfig} from '../protocol';
import type {CallsConfig, ICEServerConfig} from './types';

export interface LicenseInfo {
  /** License SKU, or "starter" when unlicensed. */
  skuShortName: string;
  /** Professional or better (host controls, group calls). */
  professional: boolean;
  /** Enterprise or better (recordings, transcriptions, rtcd). */
  enterprise: boolean;
}

export type {ClientConfig};

function isTURN(url: string): boolean {
  return url.startsWith('turn:') || url.startsWith('turns:');
}

/** TURN servers listed without credentials: they get generated (TURN REST) credentials. */
export function credentialLessTURN(cfg: CallsConfig): ICEServerConfig[] {
  return cfg.ICEServersConfigs.filter((s) => !s.username && !s.credential && s.urls.some(isTURN));
}

export function buildClientConfig(
  cfg: CallsConfig,
  license: LicenseInfo,
  groupCallsAllowedByEnv: boolean,
): ClientConfig {
  const ice = cfg.ICEServersConfigs.filter((s) => !(s.urls.some(isTURN) && !s.username && !s.credential));
  if (cfg.ICEServers.length) ice.push({urls: [...cfg.ICEServers]});
  return {
    ICEServers: [...cfg.ICEServers],
    ICEServersConfigs: ice,
    AllowEnableCalls: true,
    DefaultEnabled: cfg.DefaultEnabled,
    MaxCallParticipants: cfg.MaxCallParticipants,
    NeedsTURNCredentials: Boolean(cfg.TURNStaticAuthSecret) && credentialLessTURN(cfg).length > 0,
    AllowScreenSharing: cfg.AllowScreenSharing,
    EnableRecordings: cfg.EnableRecordings,
    EnableTranscriptions: cfg.EnableTranscriptions,
    EnableLiveCaptions: cfg.EnableLiveCaptions,
    MaxRecordingDuration: cfg.MaxRecordingDuration,
    EnableSimulcast: cfg.EnableSimulcast,
    EnableRinging: cfg.EnableRinging,
    sku_short_name: license.skuShortName,
    HostControlsAllowed: license.professional,
    EnableAV1: cfg.EnableAV1,
    GroupCallsAllowed: license.professional || groupCallsAllowedByEnv,
    EnableDCSignaling: cfg.EnableDCSignaling,
    EnableVideo: cfg.EnableVideo,
  };
}
