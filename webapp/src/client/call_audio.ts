// The call's local audio (reference webapp.md §4.1): the microphone (captured muted; the saved device, else the
// default), the output device and the remote audio elements playing through it, and following devices that come
// and go. The CallsClient owns one and adds the microphone track to its peer connection.

import {
  audioConstraints,
  findDevice,
  isPermissionError,
  listDevices,
  loadSavedDevice,
  saveDevice,
  type DeviceKind,
  type DeviceLists,
} from './devices';
import {Emitter} from '../utils/emitter';

export type AudioErrorKind = 'missing' | 'permission';

export type CallAudioEvents = {
  devicechange: [DeviceLists];
  devicefallback: [DeviceKind, string];
  audioError: [AudioErrorKind];
  initaudio: [];
};

export interface CallAudioHost {
  log: Pick<Console, 'debug' | 'info' | 'warn' | 'error'>;
  isClosed(): boolean;
  isMuted(): boolean;
  /** Puts `next` (null: nothing) in place of the microphone track `old` in the call, when it was added. */
  replaceMicTrack(old: MediaStreamTrack, next: MediaStreamTrack | null): Promise<void>;
}

export class CallAudio extends Emitter<CallAudioEvents> {
  readonly #host: CallAudioHost;
  #stream: MediaStream | null = null;
  #track: MediaStreamTrack | null = null;
  #elements = new Map<string, HTMLAudioElement>();
  #devices: DeviceLists = {audioinput: [], audiooutput: []};
  #currentInput: MediaDeviceInfo | null = null;
  #currentOutput: MediaDeviceInfo | null = null;
  #error: AudioErrorKind | null = null;

  constructor(host: CallAudioHost) {
    super();
    this.#host = host;
  }

  get devices(): DeviceLists {
    return this.#devices;
  }

  get currentInput(): MediaDeviceInfo | null {
    return this.#currentInput;
  }

  get currentOutput(): MediaDeviceInfo | null {
    return this.#currentOutput;
  }

  /** The microphone's stream and track, once captured. */
  get stream(): MediaStream | null {
    return this.#stream;
  }

  get track(): MediaStreamTrack | null {
    return this.#track;
  }

  get error(): AudioErrorKind | null {
    return this.#error;
  }

  async listDevices(): Promise<void> {
    try {
      this.#devices = await listDevices();
    } catch (err) {
      this.#host.log.warn('enumerateDevices failed', err);
    }
  }

  async initMic(): Promise<void> {
    if (!navigator.mediaDevices?.getUserMedia) {
      this.#error = 'missing';
      this.emit('audioError', 'missing');
      return;
    }
    try {
      const saved = loadSavedDevice('audioinput');
      if (saved && !this.#devices.audioinput.some((d) => d.label)) {
        // Labels (and so matching by label) need permission first: ask once without a device.
        const probe = await navigator.mediaDevices.getUserMedia(audioConstraints());
        probe.getTracks().forEach((t) => t.stop());
        this.#devices = await listDevices();
      }
      const device = findDevice(this.#devices.audioinput, saved);
      let stream: MediaStream;
      try {
        stream = await navigator.mediaDevices.getUserMedia(audioConstraints(device?.deviceId));
      } catch (err) {
        if (!device) {
          throw err;
        }
        stream = await navigator.mediaDevices.getUserMedia(audioConstraints());
      }
      if (this.#host.isClosed()) {
        stream.getTracks().forEach((t) => t.stop());
        return;
      }
      this.#devices = await listDevices();
      const track = stream.getAudioTracks()[0];
      track.enabled = false;
      this.#stream = stream;
      this.#track = track;
      const settingsID = track.getSettings?.().deviceId;
      this.#currentInput =
        this.#devices.audioinput.find((d) => d.deviceId === settingsID) ||
        device ||
        this.#devices.audioinput[0] ||
        null;
      this.#error = null;
      this.emit('initaudio');
    } catch (err) {
      this.#host.log.warn('microphone capture failed', err);
      this.#error = isPermissionError(err) ? 'permission' : 'missing';
      this.emit('audioError', this.#error);
    }
  }

  resolveOutput(): void {
    const saved = loadSavedDevice('audiooutput');
    this.#currentOutput =
      findDevice(this.#devices.audiooutput, saved) ||
      this.#devices.audiooutput.find((d) => d.deviceId === 'default') ||
      this.#devices.audiooutput[0] ||
      null;
  }

  /** Plays a remote audio track through the current output device, until it ends or leaves its stream. */
  play(track: MediaStreamTrack, stream: MediaStream): void {
    // A transceiver the SFU reuses brings the same track again: one element per track.
    this.#drop(track.id);
    const el = document.createElement('audio');
    el.srcObject = stream;
    el.autoplay = true;
    el.style.display = 'none';
    el.dataset.testid = track.id;
    document.body.appendChild(el);
    this.#elements.set(track.id, el);
    if (this.#currentOutput) {
      this.#applySink(el, this.#currentOutput.deviceId);
    }
    el.play().catch(() => undefined);
    const gone = () => this.#drop(track.id, el);
    track.addEventListener('ended', gone);
    stream.addEventListener('removetrack', gone);
  }

  /** Stops playing a track (only from `el` when given: a newer element for the same track stays). */
  #drop(trackID: string, el?: HTMLAudioElement): void {
    const cur = this.#elements.get(trackID);
    if (!cur || (el && cur !== el)) {
      return;
    }
    cur.srcObject = null;
    cur.remove();
    this.#elements.delete(trackID);
  }

  /** Stops playing every remote track. */
  stopPlayback(): void {
    for (const el of this.#elements.values()) {
      el.srcObject = null;
      el.remove();
    }
    this.#elements.clear();
  }

  #applySink(el: HTMLAudioElement, deviceId: string): void {
    const withSink = el as HTMLAudioElement & {setSinkId?: (id: string) => Promise<void>};
    withSink.setSinkId?.(deviceId).catch((err) => this.#host.log.warn('setSinkId failed', err));
  }

  /** Switches the microphone; the new track replaces the old one in place when unmuted. */
  async setInput(device: MediaDeviceInfo, persist = true): Promise<void> {
    if (persist) {
      saveDevice('audioinput', {deviceId: device.deviceId, label: device.label});
    }
    const stream = await navigator.mediaDevices.getUserMedia(audioConstraints(device.deviceId));
    const track = stream.getAudioTracks()[0];
    const muted = this.#host.isMuted();
    track.enabled = !muted;
    const old = this.#track;
    if (this.#stream && old) {
      this.#stream.removeTrack(old);
      this.#stream.addTrack(track);
    } else {
      this.#stream = stream;
    }
    this.#track = track;
    this.#currentInput = device;
    if (old) {
      await this.#host.replaceMicTrack(old, muted ? null : track);
    }
    old?.stop();
    this.emit('devicechange', this.#devices);
  }

  setOutput(device: MediaDeviceInfo, persist = true): void {
    if (persist) {
      saveDevice('audiooutput', {deviceId: device.deviceId, label: device.label});
    }
    this.#currentOutput = device;
    for (const el of this.#elements.values()) {
      this.#applySink(el, device.deviceId);
    }
    this.emit('devicechange', this.#devices);
  }

  /** A device came or went: fall back from a vanished one, or return to the saved one when it is back. */
  async onDeviceChange(): Promise<void> {
    if (this.#host.isClosed()) {
      return;
    }
    this.#devices = await listDevices();
    const inputs = this.#devices.audioinput;
    const savedIn = loadSavedDevice('audioinput');
    const savedInDevice = findDevice(inputs, savedIn);
    if (this.#currentInput && !inputs.some((d) => d.deviceId === this.#currentInput?.deviceId)) {
      // The device in use went away: fall back to the system default without forgetting the saved choice.
      const fallback = inputs.find((d) => d.deviceId === 'default') || inputs[0];
      if (fallback) {
        await this.setInput(fallback, false);
        this.emit('devicefallback', 'audioinput', fallback.label);
      }
    } else if (savedInDevice && this.#currentInput && savedInDevice.deviceId !== this.#currentInput.deviceId) {
      await this.setInput(savedInDevice, false);
    }
    const outputs = this.#devices.audiooutput;
    if (this.#currentOutput && !outputs.some((d) => d.deviceId === this.#currentOutput?.deviceId)) {
      const fallback = outputs.find((d) => d.deviceId === 'default') || outputs[0];
      if (fallback) {
        this.setOutput(fallback, false);
        this.emit('devicefallback', 'audiooutput', fallback.label);
      }
    } else {
      const savedOut = findDevice(outputs, loadSavedDevice('audiooutput'));
      if (savedOut && this.#currentOutput && savedOut.deviceId !== this.#currentOutput.deviceId) {
        this.setOutput(savedOut, false);
      }
    }
    this.emit('devicechange', this.#devices);
  }

  /** Stops the microphone and every playback. */
  release(): void {
    this.#stream?.getTracks().forEach((t) => t.stop());
    this.#track?.stop();
    this.stopPlayback();
  }
}
