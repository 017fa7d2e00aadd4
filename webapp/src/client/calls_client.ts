// One call connection (reference webapp.md §4.1): its own Mattermost websocket (join, reconnect with the original
// connection id, signal filtering by connID), the RTC peer, the microphone (joins muted; the first unmute adds the
// track), remote audio playback, screen sharing and device switching. window.callsClient holds the live one.

import {actionName, eventName} from '@calls/protocol';

import {
    audioConstraints,
    captureScreen,
    findDevice,
    isPermissionError,
    listDevices,
    loadSavedDevice,
    saveDevice,
    SCREEN_ENCODINGS,
    shareAudioWithScreen,
    SIMULCAST_SCREEN_ENCODINGS,
    type DeviceKind,
    type DeviceLists,
} from './devices';
import {RTCMonitor} from './rtc_monitor';
import {saveLastStats, summarizeStats} from './rtc_stats';
import {ERR_RTC_TIMEOUT, RTCPeer, type RemoteTrackInfo, type RTCPeerConfig} from './rtc_peer';
import {WebSocketClient, WebSocketReconnectTimeoutError, type WebSocketCtor} from './websocket';
import {compressSDP} from './wire';
import type {CallErrorKind} from '../state/calls_state';
import {Emitter} from '../utils/emitter';
import type {EmojiData, WebSocketMessage} from '../types';

export class CallsClientError extends Error {
    constructor(readonly kind: CallErrorKind, message: string) {
        super(message);
        this.name = 'CallsClientError';
    }
}

export interface CallsClientOptions {
    channelID: string;
    title?: string;
    threadID?: string;
    wsURL: string;
    authToken?: string;
    iceServers: RTCIceServer[];
    dcSignaling: boolean;
    dcLocking: boolean;
    simulcast: boolean;
    WebSocket?: WebSocketCtor;
    logger?: Pick<Console, 'debug' | 'info' | 'warn' | 'error'>;
    /** Makes the RTC peer (tests give a scripted one). */
    createPeer?: (cfg: RTCPeerConfig) => RTCPeer;
    /**
     * How long a connection that failed after being up may wait for the server's rtc_reconnect (its call moved to
     * another node) before the client gives up and leaves (README "The rtc_reconnect event"; 20 s).
     */
    peerRecoveryMs?: number;
}

export const PEER_RECOVERY_MS = 20000;

export type AudioErrorKind = 'missing' | 'permission';

export type ClientEvents = {
    /** The join was acknowledged: the session id is known. */
    joined: [string];
    /** The RTC connection is up. */
    connect: [];
    close: [CallsClientError | null];
    mute: [];
    unmute: [];
    raise_hand: [];
    lower_hand: [];
    remoteScreenStream: [MediaStream | null];
    localScreenStream: [MediaStream | null];
    devicechange: [DeviceLists];
    devicefallback: [DeviceKind, string];
    audioError: [AudioErrorKind];
    initaudio: [];
    screenError: [];
    mos: [number];
    /** Calls events that arrived on this client's own socket and that the main socket may not deliver. */
    wsEvent: [WebSocketMessage];
    /** The call moved to another node (or the connection failed): media is being negotiated again. */
    rtcReconnecting: [string];
    /** The server says no node can run the call's media now: the client stays in the call and waits. */
    rtcUnavailable: [string];
    wsReconnected: [];
};

export class CallsClient extends Emitter<ClientEvents> {
    readonly channelID: string;
    readonly #opts: CallsClientOptions;
    readonly #log: Pick<Console, 'debug' | 'info' | 'warn' | 'error'>;
    #ws: WebSocketClient | null = null;
    #peer: RTCPeer | null = null;
    #monitor: RTCMonitor | null = null;
    #audioStream: MediaStream | null = null;
    #audioTrack: MediaStreamTrack | null = null;
    #micAdded = false;
    #muted = true;
    #handRaised = false;
    #screenStream: MediaStream | null = null;
    #remoteScreenStream: MediaStream | null = null;
    #audioElements = new Map<string, HTMLAudioElement>();
    #devices: DeviceLists = {audioinput: [], audiooutput: []};
    #currentInput: MediaDeviceInfo | null = null;
    #currentOutput: MediaDeviceInfo | null = null;
    #closed = false;
    #connected = false;
    #audioError: AudioErrorKind | null = null;
    #sessionID = '';
    #peerLostTimer: ReturnType<typeof setTimeout> | null = null;
    #peerLostError: CallsClientError | null = null;
    /** The server said the call's media is away (rtc_unavailable) and has not sent rtc_reconnect since. */
    #mediaUnavailable = false;
    #onDeviceChange = () => {
        this.#handleDeviceChange().catch((err) => this.#log.warn('devicechange failed', err));
    };
    #onUnload = () => this.disconnect();

    constructor(opts: CallsClientOptions) {
        super();
        this.channelID = opts.channelID;
        this.#opts = opts;
        this.#log = opts.logger ?? console;
    }

    get sessionID(): string {
        return this.#sessionID;
    }

    get originalConnID(): string {
        return this.#ws?.originalConnID || this.#sessionID;
    }

    get isMuted(): boolean {
        return this.#muted;
    }

    get isHandRaised(): boolean {
        return this.#handRaised;
    }

    get isConnected(): boolean {
        return this.#connected;
    }

    get isClosed(): boolean {
        return this.#closed;
    }

    /** Waiting for the server to run the call's media again (README "The rtc_unavailable event"). */
    get isMediaUnavailable(): boolean {
        return this.#mediaUnavailable;
    }

    get devices(): DeviceLists {
        return this.#devices;
    }

    get currentAudioInput(): MediaDeviceInfo | null {
        return this.#currentInput;
    }

    get currentAudioOutput(): MediaDeviceInfo | null {
        return this.#currentOutput;
    }

    get localScreenStream(): MediaStream | null {
        return this.#screenStream;
    }

    get remoteScreenStream(): MediaStream | null {
        return this.#remoteScreenStream;
    }

    get hasAudioInput(): boolean {
        return Boolean(this.#audioTrack);
    }

    /** Why there is no microphone (no device, or no permission); null when there is one or it is not known yet. */
    get audioError(): AudioErrorKind | null {
        return this.#audioError;
    }

    /** The peer connection (tests and /call stats read its getStats()). */
    get peerConnection(): RTCPeerConnection | null {
        return this.#peer?.pc ?? null;
    }

    /** The websocket (tests cut it to exercise reconnect). */
    get ws(): WebSocketClient | null {
        return this.#ws;
    }

    async init(): Promise<void> {
        if (typeof window !== 'undefined' && window.isSecureContext === false) {
            this.disconnect(new CallsClientError('insecure', 'insecure context'));
            return;
        }
        window.addEventListener('beforeunload', this.#onUnload);
        navigator.mediaDevices?.addEventListener?.('devicechange', this.#onDeviceChange);
        try {
            this.#devices = await listDevices();
        } catch (err) {
            this.#log.warn('enumerateDevices failed', err);
        }
        await this.#initAudio();
        if (this.#closed) {
            return;
        }
        this.#resolveOutput();
        this.emit('devicechange', this.#devices);
        this.#connectWS();
    }

    async #initAudio(): Promise<void> {
        if (!navigator.mediaDevices?.getUserMedia) {
            this.#audioError = 'missing';
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
            if (this.#closed) {
                stream.getTracks().forEach((t) => t.stop());
                return;
            }
            this.#devices = await listDevices();
            const track = stream.getAudioTracks()[0];
            track.enabled = false;
            this.#audioStream = stream;
            this.#audioTrack = track;
            const settingsID = track.getSettings?.().deviceId;
            this.#currentInput = this.#devices.audioinput.find((d) => d.deviceId === settingsID) || device ||
                this.#devices.audioinput[0] || null;
            this.#audioError = null;
            this.emit('initaudio');
        } catch (err) {
            this.#log.warn('microphone capture failed', err);
            this.#audioError = isPermissionError(err) ? 'permission' : 'missing';
            this.emit('audioError', this.#audioError);
        }
    }

    #resolveOutput(): void {
        const saved = loadSavedDevice('audiooutput');
        this.#currentOutput = findDevice(this.#devices.audiooutput, saved) ||
            this.#devices.audiooutput.find((d) => d.deviceId === 'default') || this.#devices.audiooutput[0] || null;
    }

    #connectWS(): void {
        const ws = new WebSocketClient({url: this.#opts.wsURL, authToken: this.#opts.authToken,
            WebSocket: this.#opts.WebSocket, logger: this.#log});
        this.#ws = ws;
        ws.on('open', ({originalConnID, prevConnID, reconnected}) => {
            if (!reconnected) {
                ws.send(actionName('join'), {
                    channelID: this.channelID,
                    title: this.#opts.title || undefined,
                    threadID: this.#opts.threadID || undefined,
                    av1Support: false,
                    dcSignaling: this.#opts.dcSignaling,
                });
                return;
            }
            ws.send(actionName('reconnect'), {channelID: this.channelID, originalConnID, prevConnID});
            // Events may have been missed while offline: ask for a fresh snapshot of the call.
            ws.send(actionName('call_state'), {channelID: this.channelID});
            this.emit('wsReconnected');
        });
        ws.on('event', (msg) => this.#onWSEvent(msg));
        ws.on('close', (err) => {
            if (err instanceof WebSocketReconnectTimeoutError) {
                this.disconnect(new CallsClientError('ws_reconnect_timeout', err.message));
            }
        });
        ws.connect();
    }

    #isMine(msg: WebSocketMessage): boolean {
        const connID = String((msg.data as {connID?: string}).connID || '');
        return Boolean(connID) && (connID === this.#ws?.connID || connID === this.#ws?.originalConnID);
    }

    #onWSEvent(msg: WebSocketMessage): void {
        switch (msg.event) {
        case eventName('join'):
            if (this.#isMine(msg) && !this.#peer) {
                this.#sessionID = this.#ws?.originalConnID || '';
                this.emit('joined', this.#sessionID);
                this.#startPeer();
            }
            break;
        case eventName('error'):
            if (this.#isMine(msg)) {
                const text = String((msg.data as {data?: string}).data || 'join failed');
                this.disconnect(new CallsClientError('join', text));
            }
            break;
        case eventName('signal'):
            if (this.#isMine(msg) && this.#peer) {
                try {
                    this.#peer.signal(JSON.parse(String((msg.data as {data?: string}).data)));
                } catch (err) {
                    this.#log.warn('bad signal', err);
                }
            }
            break;
        case eventName('call_state'):
            this.emit('wsEvent', msg);
            break;
        case eventName('rtc_reconnect'): {
            const d = msg.data as {session_id?: string; channelID?: string; reason?: string};
            if (d.session_id && d.session_id === this.#sessionID &&
                (!d.channelID || d.channelID === this.channelID)) {
                this.#restartPeer(String(d.reason || 'rtc_reconnect'));
            }
            break;
        }
        case eventName('rtc_unavailable'): {
            const d = msg.data as {session_id?: string; channelID?: string; reason?: string};
            if (d.session_id && d.session_id === this.#sessionID &&
                (!d.channelID || d.channelID === this.channelID)) {
                this.#awaitMedia(String(d.reason || 'rtc_unavailable'));
            }
            break;
        }
        default:
            break;
        }
    }

    /**
     * The server moved the call's media (another node now runs it) and asked for a new peer connection: drop the old
     * one without leaving the call, and negotiate again exactly as after join. The session, its mute and screen state
     * stay on the server; the microphone and a screen share are added to the new connection.
     */
    #restartPeer(reason: string): void {
        if (this.#closed || !this.#sessionID) {
            return;
        }
        this.#log.info('rtc reconnect:', reason);
        this.#mediaUnavailable = false;
        this.#dropPeer();
        this.emit('rtcReconnecting', reason);
        this.#startPeer();
    }

    /**
     * The server says no node can run the call's media now (its handler is down): the peer connection is dead, but
     * the call goes on. Drop the peer, stop the failure timer, and wait as long as the server keeps the call:
     * rtc_reconnect brings the media back, call_end ends the call.
     */
    #awaitMedia(reason: string): void {
        if (this.#closed || !this.#sessionID) {
            return;
        }
        this.#log.info('rtc unavailable:', reason);
        this.#mediaUnavailable = true;
        this.#dropPeer();
        this.emit('rtcUnavailable', reason);
    }

    /** Closes the current peer connection (and what it played) without leaving the call. */
    #dropPeer(): void {
        if (this.#peerLostTimer) {
            clearTimeout(this.#peerLostTimer);
            this.#peerLostTimer = null;
            this.#peerLostError = null;
        }
        this.#monitor?.stop();
        this.#monitor = null;
        const old = this.#peer;
        this.#peer = null;
        if (old) {
            old.removeAllListeners();
            old.destroy();
        }
        this.#connected = false;
        this.#micAdded = false;
        for (const el of this.#audioElements.values()) {
            el.srcObject = null;
            el.remove();
        }
        this.#audioElements.clear();
        if (this.#remoteScreenStream) {
            this.#remoteScreenStream = null;
            this.emit('remoteScreenStream', null);
        }
    }

    #startPeer(): void {
        const cfg: RTCPeerConfig = {
            iceServers: this.#opts.iceServers,
            dcSignaling: this.#opts.dcSignaling,
            dcLocking: this.#opts.dcLocking,
            logger: this.#log,
        };
        const peer = this.#opts.createPeer ? this.#opts.createPeer(cfg) : new RTCPeer(cfg);
        this.#peer = peer;
        peer.on('offer', (sdp) => this.#ws?.send(actionName('sdp'), {data: compressSDP(sdp)}, true));
        peer.on('answer', (sdp) => this.#ws?.send(actionName('sdp'), {data: compressSDP(sdp)}, true));
        peer.on('candidate', (c) => this.#ws?.send(actionName('ice'), {data: JSON.stringify(c)}));
        peer.on('track', (track, stream, info) => this.#onRemoteTrack(track, stream, info));
        peer.on('connect', () => {
            this.#connected = true;
            if (this.#peerLostTimer) {
                clearTimeout(this.#peerLostTimer);
                this.#peerLostTimer = null;
                this.#peerLostError = null;
            }
            const monitor = new RTCMonitor(peer);
            monitor.on('mos', (mos) => this.emit('mos', mos));
            monitor.start();
            this.#monitor = monitor;
            this.emit('connect');
            if (!this.#muted && this.#audioTrack && !this.#micAdded) {
                // The user unmuted before the connection was up (or the connection was made again).
                this.#addMic().catch((err) => this.#log.warn('adding microphone failed', err));
            }
            if (this.#screenStream && !peer.hasSenderFor(this.#screenStream.getVideoTracks()[0])) {
                // A new connection after rtc_reconnect: the share goes on, with the same stream id.
                peer.addScreenStream(this.#screenStream, this.#opts.simulcast ? SIMULCAST_SCREEN_ENCODINGS : SCREEN_ENCODINGS)
                    .catch((err) => this.#log.warn('re-adding screen failed', err));
            }
        });
        peer.on('close', (err) => {
            if (this.#closed || this.#peer !== peer) {
                return;
            }
            if (err?.message === ERR_RTC_TIMEOUT) {
                this.disconnect(new CallsClientError('timeout', err.message));
                return;
            }
            const closeErr = new CallsClientError('peer', err?.message || 'rtc peer close');
            if (!this.#connected) {
                this.disconnect(closeErr);
                return;
            }
            // A connection that was up failed: its node may have died. The server moves the call and sends
            // rtc_reconnect; wait for it a while before giving up.
            this.#connected = false;
            this.#peerLostError = closeErr;
            this.emit('rtcReconnecting', closeErr.message);
            this.#peerLostTimer = setTimeout(() => {
                this.#peerLostTimer = null;
                this.disconnect(this.#peerLostError);
            }, this.#opts.peerRecoveryMs ?? PEER_RECOVERY_MS);
        });
    }

    #onRemoteTrack(track: MediaStreamTrack, stream: MediaStream, info: RemoteTrackInfo): void {
        if (track.kind === 'audio') {
            this.#playAudio(track, stream);
            return;
        }
        if (info.type === 'screen') {
            this.#remoteScreenStream = stream;
            this.emit('remoteScreenStream', stream);
            track.addEventListener('ended', () => {
                if (this.#remoteScreenStream === stream) {
                    this.#remoteScreenStream = null;
                    this.emit('remoteScreenStream', null);
                }
            });
        }
    }

    #playAudio(track: MediaStreamTrack, stream: MediaStream): void {
        const el = document.createElement('audio');
        el.srcObject = stream;
        el.autoplay = true;
        el.style.display = 'none';
        el.dataset.testid = track.id;
        document.body.appendChild(el);
        this.#audioElements.set(track.id, el);
        if (this.#currentOutput) {
            this.#applySink(el, this.#currentOutput.deviceId);
        }
        el.play().catch(() => undefined);
        track.addEventListener('ended', () => {
            el.remove();
            this.#audioElements.delete(track.id);
        });
    }

    #applySink(el: HTMLAudioElement, deviceId: string): void {
        const withSink = el as HTMLAudioElement & {setSinkId?: (id: string) => Promise<void>};
        withSink.setSinkId?.(deviceId).catch((err) => this.#log.warn('setSinkId failed', err));
    }

    async #addMic(): Promise<void> {
        if (!this.#peer || !this.#audioTrack || !this.#audioStream || this.#micAdded) {
            return;
        }
        this.#micAdded = true;
        await this.#peer.addTrack(this.#audioTrack, this.#audioStream);
    }

    async unmute(): Promise<void> {
        if (this.#closed) {
            return;
        }
        if (!this.#audioTrack) {
            await this.#initAudio();
            if (!this.#audioTrack) {
                return;
            }
        }
        this.#audioTrack.enabled = true;
        this.#muted = false;
        this.#monitor?.clearCache();
        this.#ws?.send(actionName('unmute'));
        this.emit('unmute');
        if (!this.#peer || !this.#connected) {
            return;
        }
        if (!this.#micAdded) {
            await this.#addMic();
        } else {
            await this.#peer.replaceTrack(this.#audioTrack, this.#audioTrack);
        }
    }

    async mute(): Promise<void> {
        if (this.#closed) {
            return;
        }
        this.#muted = true;
        if (this.#audioTrack) {
            this.#audioTrack.enabled = false;
        }
        this.#ws?.send(actionName('mute'));
        this.emit('mute');
        if (this.#peer && this.#micAdded && this.#audioTrack) {
            await this.#peer.replaceTrack(this.#audioTrack, null).catch((err) => this.#log.warn('mute failed', err));
        }
    }

    raiseHand(): void {
        this.#handRaised = true;
        this.#ws?.send(actionName('raise_hand'));
        this.emit('raise_hand');
    }

    lowerHand(): void {
        this.#handRaised = false;
        this.#ws?.send(actionName('unraise_hand'));
        this.emit('lower_hand');
    }

    react(emoji: EmojiData): void {
        this.#ws?.send(actionName('react'), {data: JSON.stringify(emoji)});
    }

    /**
     * Shares the screen. The pop-out captures in its own window (the capture needs that window's user gesture) and
     * passes the stream; otherwise the client captures.
     */
    async shareScreen(captured?: MediaStream): Promise<void> {
        if (this.#closed || this.#screenStream || !this.#peer) {
            captured?.getTracks().forEach((t) => t.stop());
            return;
        }
        let stream: MediaStream;
        try {
            stream = captured ?? await captureScreen(shareAudioWithScreen());
        } catch (err) {
            this.#log.warn('screen capture failed', err);
            this.emit('screenError');
            return;
        }
        if (this.#closed) {
            stream.getTracks().forEach((t) => t.stop());
            return;
        }
        this.#screenStream = stream;
        stream.getVideoTracks()[0]?.addEventListener('ended', () => {
            this.stopScreenShare().catch(() => undefined);
        });
        // screen_on first, so the SFU classifies the incoming stream as the screen.
        this.#ws?.send(actionName('screen_on'), {data: JSON.stringify({screenStreamID: stream.id})});
        this.emit('localScreenStream', stream);
        await this.#peer.addScreenStream(stream, this.#opts.simulcast ? SIMULCAST_SCREEN_ENCODINGS : SCREEN_ENCODINGS);
    }

    async stopScreenShare(): Promise<void> {
        const stream = this.#screenStream;
        if (!stream) {
            return;
        }
        this.#screenStream = null;
        const tracks = stream.getTracks();
        tracks.forEach((t) => t.stop());
        this.emit('localScreenStream', null);
        if (this.#peer && !this.#closed) {
            await this.#peer.removeTracks(tracks).catch((err) => this.#log.warn('removing screen failed', err));
            this.#ws?.send(actionName('screen_off'));
        }
    }

    /** Switches the microphone; the new track replaces the old one in place when unmuted. */
    async setAudioInputDevice(device: MediaDeviceInfo, persist = true): Promise<void> {
        if (persist) {
            saveDevice('audioinput', {deviceId: device.deviceId, label: device.label});
        }
        const stream = await navigator.mediaDevices.getUserMedia(audioConstraints(device.deviceId));
        const track = stream.getAudioTracks()[0];
        track.enabled = !this.#muted;
        const old = this.#audioTrack;
        if (this.#audioStream && old) {
            this.#audioStream.removeTrack(old);
            this.#audioStream.addTrack(track);
        } else {
            this.#audioStream = stream;
        }
        this.#audioTrack = track;
        this.#currentInput = device;
        if (old && this.#peer && this.#micAdded) {
            await this.#peer.replaceTrack(old, this.#muted ? null : track);
        }
        old?.stop();
        this.emit('devicechange', this.#devices);
    }

    setAudioOutputDevice(device: MediaDeviceInfo, persist = true): void {
        if (persist) {
            saveDevice('audiooutput', {deviceId: device.deviceId, label: device.label});
        }
        this.#currentOutput = device;
        for (const el of this.#audioElements.values()) {
            this.#applySink(el, device.deviceId);
        }
        this.emit('devicechange', this.#devices);
    }

    async #handleDeviceChange(): Promise<void> {
        if (this.#closed) {
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
                await this.setAudioInputDevice(fallback, false);
                this.emit('devicefallback', 'audioinput', fallback.label);
            }
        } else if (savedInDevice && this.#currentInput && savedInDevice.deviceId !== this.#currentInput.deviceId) {
            await this.setAudioInputDevice(savedInDevice, false);
        }
        const outputs = this.#devices.audiooutput;
        if (this.#currentOutput && !outputs.some((d) => d.deviceId === this.#currentOutput?.deviceId)) {
            const fallback = outputs.find((d) => d.deviceId === 'default') || outputs[0];
            if (fallback) {
                this.setAudioOutputDevice(fallback, false);
                this.emit('devicefallback', 'audiooutput', fallback.label);
            }
        } else {
            const savedOut = findDevice(outputs, loadSavedDevice('audiooutput'));
            if (savedOut && this.#currentOutput && savedOut.deviceId !== this.#currentOutput.deviceId) {
                this.setAudioOutputDevice(savedOut, false);
            }
        }
        this.emit('devicechange', this.#devices);
    }

    async getStats(): Promise<RTCStatsReport | null> {
        return this.#peer ? this.#peer.getStats() : null;
    }

    /** Leaves the call and releases everything (idempotent). */
    disconnect(err: CallsClientError | null = null): void {
        if (this.#closed) {
            return;
        }
        this.#closed = true;
        this.#connected = false;
        if (this.#peerLostTimer) {
            clearTimeout(this.#peerLostTimer);
            this.#peerLostTimer = null;
        }
        window.removeEventListener('beforeunload', this.#onUnload);
        navigator.mediaDevices?.removeEventListener?.('devicechange', this.#onDeviceChange);
        this.#monitor?.stop();
        this.#monitor = null;
        if (this.#peer) {
            // Asked for before the connection closes; kept for `/call stats` after the call.
            this.#peer.getStats().then((r) => saveLastStats(summarizeStats(r)), () => undefined);
        }
        this.#peer?.destroy();
        this.#peer = null;
        this.#audioStream?.getTracks().forEach((t) => t.stop());
        this.#audioTrack?.stop();
        this.#screenStream?.getTracks().forEach((t) => t.stop());
        this.#screenStream = null;
        for (const el of this.#audioElements.values()) {
            el.srcObject = null;
            el.remove();
        }
        this.#audioElements.clear();
        if (this.#ws) {
            this.#ws.send(actionName('leave'));
            this.#ws.close();
            this.#ws = null;
        }
        this.emit('close', err);
        this.removeAllListeners();
    }
}
