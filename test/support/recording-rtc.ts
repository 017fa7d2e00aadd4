// A recording RtcServer double, used only by tests of the call domain (calls/) where media is not the
// subject: it records what calls/ asks of the media layer and lets a test raise media events.
import {TypedEmitter} from '../../server/src/events';
import type {
  RtcInbound,
  RtcServer,
  RtcServerEvents,
  RtcSignal,
  SessionConfig,
  SessionOpCall,
} from '../../server/src/rtc/types';

export class RecordingRtcServer extends TypedEmitter<RtcServerEvents> implements RtcServer {
  readonly sessions = new Map<string, SessionConfig>();
  readonly inbound: RtcInbound[] = [];
  readonly closedSessions: string[] = [];
  failNextInit = false;
  closed = false;

  async initSession(cfg: SessionConfig): Promise<void> {
    if (this.failNextInit) {
      this.failNextInit = false;
      throw new Error('init failed (test)');
    }
    this.sessions.set(cfg.sessionID, cfg);
  }

  send(msg: RtcInbound): void {
    this.inbound.push(msg);
  }

  async closeSession(sessionID: string): Promise<void> {
    if (!this.sessions.delete(sessionID)) return;
    this.closedSessions.push(sessionID);
    this.emit('close', sessionID, 'closed');
  }

  /** Session operations are the SFU's own (rtc tests cover them): this double has none. */
  async sessionOp(call: SessionOpCall): Promise<unknown> {
    throw new Error(`no session operations in this double (${call.op})`);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const id of [...this.sessions.keys()]) await this.closeSession(id);
  }

  /** Test hooks: what the real SFU would raise. */
  raiseSignal(sessionID: string, sig: RtcSignal): void {
    this.emit('signal', sessionID, sig);
  }

  raiseVoice(sessionID: string, on: boolean): void {
    this.emit('voice', sessionID, on);
  }

  raiseFailure(sessionID: string): void {
    if (this.sessions.delete(sessionID)) this.emit('close', sessionID, 'peer connection failed');
  }
}
