// Integrated mode: one node, which runs the SFU for every call.
import {badRequest} from '../errors';
import {TypedEmitter} from '../events';
import type {RtcInbound, RtcServer, SessionConfig} from '../rtc/types';
import type {Call} from '../store/types';
import {InProcessCallLock} from '../calls/lock';
import type {Coordination, MediaRouter, MediaRouterEvents} from './types';

export class LocalMediaRouter extends TypedEmitter<MediaRouterEvents> implements MediaRouter {
  constructor(private readonly rtc: RtcServer, private readonly nodeID: string) {
    super();
    rtc.on('signal', (sid, sig) => this.emit('signal', sid, sig));
    rtc.on('voice', (sid, on) => this.emit('voice', sid, on));
    rtc.on('close', (sid, reason) => this.emit('close', sid, reason));
    rtc.on('rejected', (sid, err, fatal) => this.emit('rejected', sid, err, fatal));
    rtc.on('restart', (sid, reason) => this.emit('restart', sid, reason));
  }

  async nodeForNewCall(): Promise<string> {
    return this.nodeID;
  }

  initSession(_call: Call, cfg: SessionConfig): Promise<void> {
    return this.rtc.initSession(cfg);
  }

  send(_call: Call, msg: RtcInbound): void {
    this.rtc.send(msg);
  }

  closeSession(_call: Call, sessionID: string): Promise<void> {
    return this.rtc.closeSession(sessionID);
  }

  async adoptSession(): Promise<void> {
    // One node: a session this node does not know is gone (upstream's "session not found").
    throw badRequest('app.calls.reconnect.no_session', 'session not found for reconnect');
  }

  async endAtShutdown(call: Call, hasLocalSessions: boolean): Promise<boolean> {
    return call.props.node_id === this.nodeID || hasLocalSessions;
  }

  close(): Promise<void> {
    return this.rtc.close();
  }
}

export function integratedCoordination(rtc: RtcServer, nodeID: string): Coordination {
  const media = new LocalMediaRouter(rtc, nodeID);
  return {nodeID, mode: 'integrated', media, lock: new InProcessCallLock(), rtc, relay: null, close: () => media.close()};
}
