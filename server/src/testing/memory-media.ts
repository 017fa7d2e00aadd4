// An in-memory MediaRouter: records what the call domain asks of the media layer and lets a test emit
// the media events (signal, voice, close, rejected, restart, detach, orphan, unavailable, abandoned).
import type {MediaPlacement, MediaRouter, MediaRouterEvents} from '../cluster/types';
import {TypedEmitter} from '../events';
import type {RtcInbound, SessionConfig, SessionOpCall} from '../rtc/types';
import type {Call} from '../store/types';

export type MediaOp =
  | {op: 'init'; callID: string; config: SessionConfig}
  | {op: 'send'; callID: string; msg: RtcInbound}
  | {op: 'close'; callID: string; sessionID: string}
  | {op: 'adopt'; callID: string; sessionID: string}
  | {op: 'sessionOp'; callID: string; call: SessionOpCall};

export class MemoryMediaRouter extends TypedEmitter<MediaRouterEvents> implements MediaRouter {
  readonly ops: MediaOp[] = [];
  /** What propsForNewCall answers (stored in a new call's props.node_id). */
  nodeID = 'node-a';
  /** When set, initSession / adoptSession reject with it. */
  initError: Error | null = null;
  adoptError: Error | null = null;
  /** What endAtStart / endAtShutdown answer. */
  endsAtStart = false;
  endsAtShutdown = true;
  /** What sessionOp answers. */
  sessionOpReply: unknown = undefined;
  /** Calls closeSession emits `close` for, as the SFU does. */
  closeEmits = true;
  closed = false;

  /** Emits a media event, as the SFU or the cluster would. */
  fire<K extends keyof MediaRouterEvents & string>(event: K, ...args: MediaRouterEvents[K]): void {
    this.emit(event, ...args);
  }

  async propsForNewCall(): Promise<MediaPlacement> {
    return {node_id: this.nodeID};
  }

  async initSession(call: Call, config: SessionConfig): Promise<void> {
    this.ops.push({op: 'init', callID: call.id, config});
    if (this.initError) throw this.initError;
  }

  send(call: Call, msg: RtcInbound): void {
    this.ops.push({op: 'send', callID: call.id, msg});
  }

  async closeSession(call: Call, sessionID: string): Promise<void> {
    this.ops.push({op: 'close', callID: call.id, sessionID});
    if (this.closeEmits) this.emit('close', sessionID, 'closed by the call domain');
  }

  async sessionOp(call: Call, c: SessionOpCall): Promise<unknown> {
    this.ops.push({op: 'sessionOp', callID: call.id, call: c});
    return this.sessionOpReply;
  }

  async adoptSession(call: Call, sessionID: string): Promise<void> {
    this.ops.push({op: 'adopt', callID: call.id, sessionID});
    if (this.adoptError) throw this.adoptError;
  }

  async endAtStart(_call: Call): Promise<boolean> {
    return this.endsAtStart;
  }

  async endAtShutdown(_call: Call, _hasLocalSessions: boolean): Promise<boolean> {
    return this.endsAtShutdown;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** The messages sent into one session's media, in order. */
  sent(sessionID: string): RtcInbound[] {
    return this.ops.flatMap((o) => (o.op === 'send' && o.msg.sessionID === sessionID ? [o.msg] : []));
  }

  /** Session ids whose media was closed, in order. */
  closedSessions(): string[] {
    return this.ops.flatMap((o) => (o.op === 'close' ? [o.sessionID] : []));
  }
}
