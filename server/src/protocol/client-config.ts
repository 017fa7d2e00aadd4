// The client config JSON of GET /plugins/com.mattermost.calls/config (reference calls-protocol.md §5.3):
// what the server builds (config/client.ts) and the webapp reads.

export interface ICEServerConfig {
  urls: string[];
  username?: string;
  credential?: string;
}

export interface ClientConfig {
  ICEServers: string[];
  ICEServersConfigs: ICEServerConfig[];
  AllowEnableCalls: boolean;
  DefaultEnabled: boolean;
  MaxCallParticipants: number;
  NeedsTURNCredentials: boolean;
  AllowScreenSharing: boolean;
  EnableRecordings: boolean;
  EnableTranscriptions: boolean;
  EnableLiveCaptions: boolean;
  MaxRecordingDuration: number;
  EnableSimulcast: boolean;
  EnableRinging: boolean;
  sku_short_name: string;
  HostControlsAllowed: boolean;
  EnableAV1: boolean;
  GroupCallsAllowed: boolean;
  EnableDCSignaling: boolean;
  EnableVideo: boolean;
}
