// The plugin settings (reference §5.1): the keys of plugin.json's settings_schema, typed.

import type {ICEServerConfig} from '../protocol';
export type {ICEServerConfig};

export type RecordingQuality = 'low' | 'medium' | 'high';

export interface CallsConfig {
  DefaultEnabled: boolean;
  MaxCallParticipants: number;
  AllowScreenSharing: boolean;
  EnableSimulcast: boolean;
  EnableAV1: boolean;
  EnableRinging: boolean;
  EnableDCSignaling: boolean;
  EnableVideo: boolean;
  RTCDServiceURL: string;
  UDPServerAddress: string;
  UDPServerPort: number;
  TCPServerAddress: string;
  TCPServerPort: number;
  EnableIPv6: boolean;
  ICEHostOverride: string;
  /** null = unset (use the server port). */
  ICEHostPortOverride: number | null;
  ICEServersConfigs: ICEServerConfig[];
  /** Deprecated comma list, appended as one ICE server entry. */
  ICEServers: string[];
  TURNStaticAuthSecret: string;
  TURNCredentialsExpirationMinutes: number;
  ServerSideTURN: boolean;
  EnableRecordings: boolean;
  JobServiceURL: string;
  MaxRecordingDuration: number;
  RecordingQuality: RecordingQuality;
  EnableTranscriptions: boolean;
  TranscribeAPI: 'whisper.cpp' | 'azure';
  TranscriberModelSize: 'tiny' | 'base' | 'small';
  TranscriberNumThreads: number;
  TranscribeAPIAzureSpeechKey: string;
  TranscribeAPIAzureSpeechRegion: string;
  EnableLiveCaptions: boolean;
  LiveCaptionsModelSize: 'tiny' | 'base' | 'small';
  LiveCaptionsNumTranscribers: number;
  LiveCaptionsNumThreadsPerTranscriber: number;
  LiveCaptionsLanguage: string;
}

export type ConfigKey = keyof CallsConfig;
