// The recording quality profiles sent to the recorder (reference rtcd-offloader §8, setting RecordingQuality).
import type {RecordingQuality} from '../config/types';
import type {RecorderInput} from './types';

export type QualityProfile = Pick<
  RecorderInput,
  'width' | 'height' | 'video_rate' | 'audio_rate' | 'frame_rate' | 'video_preset' | 'output_format'
>;

export const QUALITY_PROFILES: Record<RecordingQuality, QualityProfile> = {
  low: {
    width: 1280,
    height: 720,
    frame_rate: 15,
    video_rate: 1000,
    audio_rate: 64,
    video_preset: 'ultrafast',
    output_format: 'mp4',
  },
  medium: {
    width: 1280,
    height: 720,
    frame_rate: 20,
    video_rate: 1500,
    audio_rate: 64,
    video_preset: 'veryfast',
    output_format: 'mp4',
  },
  high: {
    width: 1920,
    height: 1080,
    frame_rate: 20,
    video_rate: 2500,
    audio_rate: 64,
    video_preset: 'veryfast',
    output_format: 'mp4',
  },
};

/**
 * MM_CALLS_RECORDER_<X>=v on this server becomes input key `<x>` (reference §7.3), whatever X is, as upstream's; a
 * recorder process gets only the RECORDER_VARIABLES of types.ts from it.
 */
export function recorderOverrides(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (k.startsWith('MM_CALLS_RECORDER_') && v !== undefined && k.length > 18) out[k.slice(18).toLowerCase()] = v;
  }
  return out;
}
