// The session's end of calls-dc (reference §3.4): keep-alives, the client's signaling lock requests,
// SDP over the channel, the client's connection metrics, and hostile input refused without a crash.
import type {RTCDataChannel} from 'werift';
import {DCMessageError, DCMessageType, type DCMessage} from '../../protocol';
import {decodeDCMessage, encodeDCMessage} from '../../protocol-node';
import {rtcError} from '../media/sdpCheck';
import type {SignalingLock} from '../media/signalingLock';
import type {SessionDescription} from '../types';
import type {SessionContext} from './context';

export interface DCMetrics {
  lossRate?: number;
  rtt?: number;
  jitter?: number;
}

export interface DataChannelHandlers {
  /** The channel opened (once). */
  open(): void;
  /** A session description the client sent over the channel. */
  sdp(desc: SessionDescription): void;
}

export class SessionDataChannel {
  readonly #ctx: SessionContext;
  readonly #lock: SignalingLock;
  readonly #handlers: DataChannelHandlers;
  readonly #unsubscribers: (() => void)[] = [];
  #dc: RTCDataChannel | undefined;
  #open = false;
  #clientLockedAt: number | undefined;
  #metrics: DCMetrics = {};

  constructor(ctx: SessionContext, lock: SignalingLock, handlers: DataChannelHandlers) {
    this.#ctx = ctx;
    this.#lock = lock;
    this.#handlers = handlers;
  }

  get open(): boolean {
    return this.#open;
  }

  get metrics(): DCMetrics {
    return {...this.#metrics};
  }

  /** The client's first data channel becomes calls-dc; any other is ignored. */
  adopt(dc: RTCDataChannel): void {
    if (this.#dc || this.#ctx.closed) return;
    this.#dc = dc;
    this.#unsubscribers.push(dc.onMessage.subscribe((data) => this.#onMessage(data)).unSubscribe);
    const onState = (state: string) => {
      if (state === 'open' && !this.#open && !this.#ctx.closed) {
        this.#open = true;
        this.#handlers.open();
      } else if (state === 'closed') {
        const wasOpen = this.#open;
        this.#open = false;
        // Clients close calls-dc only when they hang up; waiting for ICE consent to expire would keep a
        // departed participant in the call for 30 s.
        if (wasOpen && !this.#ctx.closed) void this.#ctx.close('calls-dc closed by the client');
      }
    };
    this.#unsubscribers.push(dc.stateChanged.subscribe(onState).unSubscribe);
    onState(dc.readyState);
  }

  send(msg: DCMessage): void {
    if (!this.#dc || !this.#open) return;
    try {
      this.#dc.send(Buffer.from(encodeDCMessage(msg)));
    } catch (err) {
      this.#ctx.logger.debug({err}, 'dc send failed');
    }
  }

  close(): void {
    for (const un of this.#unsubscribers) un();
    this.#unsubscribers.length = 0;
  }

  #onMessage(data: string | Buffer): void {
    const ctx = this.#ctx;
    if (ctx.closed) return;
    if (typeof data === 'string') {
      // "ping" is the legacy keepalive (reference: answered "pong"); "ping:<n>" is the connectivity check's
      // numbered ping, so a late answer is matched to its own ping.
      const numbered = /^ping:(\d{1,10})$/.exec(data);
      if (data === 'ping' || numbered) {
        try {
          this.#dc?.send(numbered ? `pong:${numbered[1]}` : 'pong');
        } catch {
          // the channel closed meanwhile
        }
        return;
      }
      ctx.reject(rtcError('invalid_dc_message', 'unexpected text message on calls-dc'), false);
      return;
    }
    let msg: DCMessage;
    try {
      msg = decodeDCMessage(data);
    } catch (err) {
      const reason = err instanceof DCMessageError ? err.message : 'malformed message';
      ctx.reject(rtcError('invalid_dc_message', reason), false);
      return;
    }
    const {metrics, groupID} = ctx.deps;
    switch (msg.type) {
      case DCMessageType.Ping:
        this.send({type: DCMessageType.Pong});
        break;
      case DCMessageType.Lock: {
        const acquired = this.#lock.tryLock('client');
        if (acquired) this.#clientLockedAt = performance.now();
        this.send({type: DCMessageType.Lock, acquired});
        break;
      }
      case DCMessageType.Unlock:
        if (!this.#lock.unlock('client')) ctx.logger.debug('client unlock without holding the lock');
        else if (this.#clientLockedAt !== undefined) {
          metrics.observeRTCSignalingLockLockedTime(groupID, (performance.now() - this.#clientLockedAt) / 1000);
          this.#clientLockedAt = undefined;
        }
        break;
      case DCMessageType.SDP:
        this.#handlers.sdp(msg.sdp);
        break;
      case DCMessageType.LossRate:
        this.#metrics.lossRate = msg.value;
        metrics.observeRTCClientLossRate(groupID, msg.value);
        break;
      case DCMessageType.RoundTripTime:
        this.#metrics.rtt = msg.value;
        metrics.observeRTCClientRTT(groupID, msg.value);
        break;
      case DCMessageType.Jitter:
        this.#metrics.jitter = msg.value;
        metrics.observeRTCClientJitter(groupID, msg.value);
        break;
      default:
        ctx.reject(rtcError('invalid_dc_message', `dc message type ${msg.type} is not accepted from clients`), false);
    }
  }
}
