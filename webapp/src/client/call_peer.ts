// The call's RTC peer connection and its recovery: started after join (and again on rtc_reconnect), negotiated
// over the call's socket, watched by RTCMonitor; a connection that was up and fails gets PEER_RECOVERY_MS for the
// server's rtc_reconnect before the call ends.

import {actionName} from '@calls/protocol';

import {CallsClientError, PEER_RECOVERY_MS, type CallsClientOptions} from './calls_client_types';
import {PeerLossTimer} from './peer_loss_timer';
import {RTCMonitor} from './rtc_monitor';
import {saveLastStats, summarizeStats} from './rtc_stats';
import {ERR_RTC_TIMEOUT, RTCPeer, type RemoteTrackInfo, type RTCPeerConfig} from './rtc_peer';
import {compressSDP} from './wire';

export interface CallPeerHooks {
  /** Sends a calls action on the call's socket. */
  send(action: string, data: Record<string, unknown>, binary?: boolean): void;
  isClosed(): boolean;
  onTrack(track: MediaStreamTrack, stream: MediaStream, info: RemoteTrackInfo): void;
  onConnect(peer: RTCPeer): void;
  onMos(mos: number): void;
  /** A connection that was up failed; waiting for rtc_reconnect. */
  onReconnecting(reason: string): void;
  /** The peer cannot be used nor recovered: the call ends with this error. */
  fail(err: CallsClientError): void;
}

export class CallPeer {
  readonly #opts: CallsClientOptions;
  readonly #log: Pick<Console, 'debug' | 'info' | 'warn' | 'error'>;
  readonly #hooks: CallPeerHooks;
  #peer: RTCPeer | null = null;
  #monitor: RTCMonitor | null = null;
  #connected = false;
  readonly #peerLoss = new PeerLossTimer<CallsClientError>();

  constructor(opts: CallsClientOptions, log: Pick<Console, 'debug' | 'info' | 'warn' | 'error'>, hooks: CallPeerHooks) {
    this.#opts = opts;
    this.#log = log;
    this.#hooks = hooks;
  }

  get peer(): RTCPeer | null {
    return this.#peer;
  }

  get connected(): boolean {
    return this.#connected;
  }

  /** The local tracks changed: the next quality sample must not reuse cached stats. */
  clearStatsCache(): void {
    this.#monitor?.clearCache();
  }

  start(): void {
    const cfg: RTCPeerConfig = {
      iceServers: this.#opts.iceServers,
      dcSignaling: this.#opts.dcSignaling,
      dcLocking: this.#opts.dcLocking,
      logger: this.#log,
    };
    const h = this.#hooks;
    const peer = this.#opts.createPeer ? this.#opts.createPeer(cfg) : new RTCPeer(cfg);
    this.#peer = peer;
    peer.on('offer', (sdp) => h.send(actionName('sdp'), {data: compressSDP(sdp)}, true));
    peer.on('answer', (sdp) => h.send(actionName('sdp'), {data: compressSDP(sdp)}, true));
    peer.on('candidate', (c) => h.send(actionName('ice'), {data: JSON.stringify(c)}));
    peer.on('track', (track, stream, info) => h.onTrack(track, stream, info));
    peer.on('connect', () => {
      this.#connected = true;
      this.#peerLoss.cancel();
      const monitor = new RTCMonitor(peer);
      monitor.on('mos', (mos) => h.onMos(mos));
      monitor.start();
      this.#monitor = monitor;
      h.onConnect(peer);
    });
    peer.on('close', (err) => {
      if (h.isClosed() || this.#peer !== peer) {
        return;
      }
      if (err?.message === ERR_RTC_TIMEOUT) {
        h.fail(new CallsClientError('timeout', err.message));
        return;
      }
      const closeErr = new CallsClientError('peer', err?.message || 'rtc peer close');
      if (!this.#connected) {
        h.fail(closeErr);
        return;
      }
      // A connection that was up failed: its node may have died. The server moves the call and sends
      // rtc_reconnect; wait for it a while before giving up.
      this.#connected = false;
      h.onReconnecting(closeErr.message);
      this.#peerLoss.start(closeErr, this.#opts.peerRecoveryMs ?? PEER_RECOVERY_MS, (e) => h.fail(e));
    });
  }

  /** Closes the current peer connection without leaving the call (it may start again). */
  drop(): void {
    this.#peerLoss.cancel();
    this.#monitor?.stop();
    this.#monitor = null;
    const old = this.#peer;
    this.#peer = null;
    if (old) {
      old.removeAllListeners();
      old.destroy();
    }
    this.#connected = false;
  }

  /** Leaving the call: the last stats are kept for `/call stats`, then the connection closes. */
  close(): void {
    this.#connected = false;
    this.#peerLoss.cancel();
    this.#monitor?.stop();
    this.#monitor = null;
    if (this.#peer) {
      // Asked for before the connection closes; kept for `/call stats` after the call.
      this.#peer.getStats().then(
        (r) => saveLastStats(summarizeStats(r)),
        () => undefined,
      );
    }
    this.#peer?.destroy();
    this.#peer = null;
  }
}
