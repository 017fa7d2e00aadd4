// Device capture helpers (reference webapp.md §2.13, §4.2): the microphone constraints, the saved device choices in
// localStorage ({deviceId,label} JSON, matched by id or label), and screen capture.

export type DeviceKind = 'audioinput' | 'audiooutput';

export interface SavedDevice {
  deviceId: string;
  label: string;
}

export const storageKeys: Record<DeviceKind, string> = {
  audioinput: 'calls_default_audio_input',
  audiooutput: 'calls_default_audio_output',
};

export function loadSavedDevice(kind: DeviceKind): SavedDevice | null {
  try {
    const raw = window.localStorage.getItem(storageKeys[kind]);
    if (!raw) {
      return null;
    }
    const v = JSON.parse(raw);
    return v && typeof v.deviceId === 'string' ? {deviceId: v.deviceId, label: String(v.label || '')} : null;
  } catch {
    return null;
  }
}

export function saveDevice(kind: DeviceKind, device: SavedDevice): void {
  try {
    window.localStorage.setItem(storageKeys[kind], JSON.stringify({deviceId: device.deviceId, label: device.label}));
  } catch {
    // storage full or disabled: the choice just won't persist
  }
}

/** The device in the list that matches the saved choice, by id first and then by label. */
export function findDevice(devices: MediaDeviceInfo[], saved: SavedDevice | null): MediaDeviceInfo | undefined {
  if (!saved) {
    return undefined;
  }
  return (
    devices.find((d) => d.deviceId === saved.deviceId) || devices.find((d) => saved.label && d.label === saved.label)
  );
}

export interface DeviceLists {
  audioinput: MediaDeviceInfo[];
  audiooutput: MediaDeviceInfo[];
}

export async function listDevices(): Promise<DeviceLists> {
  if (!navigator.mediaDevices?.enumerateDevices) {
    return {audioinput: [], audiooutput: []};
  }
  const all = await navigator.mediaDevices.enumerateDevices();
  return {
    audioinput: all.filter((d) => d.kind === 'audioinput' && d.deviceId),
    audiooutput: all.filter((d) => d.kind === 'audiooutput' && d.deviceId),
  };
}

export function audioConstraints(deviceId?: string): MediaStreamConstraints {
  return {
    video: false,
    audio: {
      autoGainControl: true,
      echoCancellation: true,
      noiseSuppression: true,
      ...(deviceId ? {deviceId: {exact: deviceId}} : {}),
    },
  };
}

/** "Default - {label}" for the system default device, unless its label already says so. */
export function deviceLabel(d: MediaDeviceInfo, fallback: string): string {
  const label = d.label || fallback;
  if (d.deviceId === 'default' && !label.startsWith('Default')) {
    return `Default - ${label}`;
  }
  return label;
}

export function isPermissionError(err: unknown): boolean {
  const name = (err as {name?: string})?.name;
  return name === 'NotAllowedError' || name === 'SecurityError' || name === 'PermissionDeniedError';
}

export function isMissingDeviceError(err: unknown): boolean {
  const name = (err as {name?: string})?.name;
  return name === 'NotFoundError' || name === 'DevicesNotFoundError' || name === 'OverconstrainedError';
}

export const SCREEN_ENCODINGS: RTCRtpEncodingParameters[] = [{maxBitrate: 1000000, maxFramerate: 10}];
export const SIMULCAST_SCREEN_ENCODINGS: RTCRtpEncodingParameters[] = [
  {rid: 'l', maxBitrate: 500000, maxFramerate: 5, scaleResolutionDownBy: 1},
  {rid: 'h', maxBitrate: 2500000, maxFramerate: 20, scaleResolutionDownBy: 1},
];

export async function captureScreen(withAudio: boolean): Promise<MediaStream> {
  return navigator.mediaDevices.getDisplayMedia({video: true, audio: withAudio});
}

export function shareAudioWithScreen(): boolean {
  try {
    return window.localStorage.getItem('calls_share_audio_with_screen') !== 'off';
  } catch {
    return true;
  }
}

/** Camera (reference webapp.md §4.2): 640×360 ideal at 30 fps, one layer capped at 1 Mbps. */
export const VIDEO_ENCODINGS: RTCRtpEncodingParameters[] = [
  {maxBitrate: 1000000, maxFramerate: 30, scaleResolutionDownBy: 1},
];
export const VIDEO_INPUT_STORAGE_KEY = 'calls_default_video_input';
export const MIRROR_VIDEO_STORAGE_KEY = 'calls_mirror_video';

export function videoConstraints(deviceId?: string): MediaStreamConstraints {
  return {
    audio: false,
    video: {
      width: {ideal: 640},
      height: {ideal: 360},
      frameRate: {ideal: 30},
      ...(deviceId ? {deviceId: {exact: deviceId}} : {}),
    },
  };
}

export async function listCameras(): Promise<MediaDeviceInfo[]> {
  if (!navigator.mediaDevices?.enumerateDevices) {
    return [];
  }
  return (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === 'videoinput' && d.deviceId);
}

export function loadSavedCamera(): SavedDevice | null {
  try {
    const v = JSON.parse(window.localStorage.getItem(VIDEO_INPUT_STORAGE_KEY) || 'null');
    return v && typeof v.deviceId === 'string' ? {deviceId: v.deviceId, label: String(v.label || '')} : null;
  } catch {
    return null;
  }
}

export function saveCamera(device: SavedDevice): void {
  try {
    window.localStorage.setItem(
      VIDEO_INPUT_STORAGE_KEY,
      JSON.stringify({deviceId: device.deviceId, label: device.label}),
    );
  } catch {
    // storage full or disabled: the choice just won't persist
  }
}

/** The user chose to see their own camera mirrored (Settings › Calls). */
export function mirrorSelfVideo(): boolean {
  try {
    return window.localStorage.getItem(MIRROR_VIDEO_STORAGE_KEY) === 'true';
  } catch {
    return false;
  }
}
