// The rtcd service's bridge between its plugin connections and the SFU (reference §2.2–2.5): `join`
// creates a session in the connection's group (the authenticated client id; a client cannot pick
// another), `reconnect` re-points a session's outbound messages to the connection it arrived on,
// `rtc` feeds signalling in, and the SFU's signals, voice activity and session ends go back out as
// `rtc`, `vad` and `close`. Calls are keyed by group and call id inside the SFU, so two installations
// that happened to use one call id never share media. While draining, calls it does not have are refused.
import type {Logger} from '../../log';
import type {RtcServer, RtcSignal} from '../../rtc/types';
import {rtcMessageToInbound, signalToRtcMessage} from '../rtc-messages';
import {RtcMsgType, WireError, type ClientMessage, type JoinData, type RtcMessage} from '../wire';
import type {RtcdSessionConfig, RtcdSessionDirectory} from './http-api';

/** One plugin connection as the bridge sees it. */
export interface RtcdPeer {
  readonly connID: string;
  /** The authenticated client id: the group of every session this connection creates. */
  readonly clientID: string;
  /** Whether the plugin on the other end understands `restart` (ours does; upstream's would drop it). */
  readonly understandsRestart: boolean;
  send(msg: ClientMessage): void;
}

interface Entry {
  group: string;
  callID: string;
  userID: string;
  channelID: string;
  av1Support: boolean;
  dcSignaling: boolean;
  /** Where rtc/vad go: the connection that last sent join or reconnect for it. */
  route: RtcdPeer;
  /** Where close goes: the connection that sent the join (upstream does not follow reconnects here). */
  joinedOn: RtcdPeer;
}

export class RtcdSessions implements RtcdSessionDirectory {
  readonly #rtc: RtcServer;
  readonly #log: Logger;
  readonly #sessions = new Map<string, Entry>();
  /** `${group}\0${callID}` → session ids in it. */
  readonly #calls = new Map<string, Set<string>>();
  #draining = false;
  #onIdle: (() => void) | undefined;

  constructor(rtc: RtcServer, logger: Logger) {
    this.#rtc = rtc;
    this.#log = logger.child({module: 'rtcd-sessions'});
    rtc.on('signal', (id, signal) => this.#signal(id, signal));
    rtc.on('voice', (id, on) => this.#vad(id, on));
    rtc.on('close', (id, reason) => this.#closed(id, reason));
    rtc.on('rejected', (id, err, fatal) =>
      this.#log.info({sessionID: id, err: err.message, errID: err.id, fatal}, 'session input rejected'),
    );
    rtc.on('restart', (id, reason) => this.#restart(id, reason));
  }

  get size(): number {
    return this.#sessions.size;
  }

  get callCount(): number {
    return this.#calls.size;
  }

  /** Stops taking calls it does not have; `onIdle` runs once no session is left. */
  drain(onIdle: () => void): void {
    this.#draining = true;
    this.#onIdle = onIdle;
    if (this.#sessions.size === 0) onIdle();
  }

  /** Handles one decoded message from a plugin connection. Bad input throws WireError (logged by the caller). */
  async handle(peer: RtcdPeer, msg: ClientMessage): Promise<void> {
    switch (msg.type) {
      case 'join':
        return this.#join(peer, msg.data);
      case 'reconnect': {
        const e = this.#own(peer, msg.data.sessionID);
        e.route = peer;
        return;
      }
      case 'leave':
        this.#own(peer, msg.data.sessionID);
        return this.#rtc.closeSession(msg.data.sessionID);
      case 'rtc':
        return this.#inbound(peer, msg.data);
      default:
        throw new WireError(`unexpected client message type ${msg.type}`);
    }
  }

  sessions(groupID: string, callID: string): RtcdSessionConfig[] | undefined {
    const ids = this.#calls.get(callKey(groupID, callID));
    if (!ids) return undefined;
    return [...ids].flatMap((id) => {
      const e = this.#sessions.get(id);
      return e
        ? [
            {
              GroupID: e.group,
              CallID: e.callID,
              UserID: e.userID,
              SessionID: id,
              Props: {channelID: e.channelID, av1Support: e.av1Support, dcSignaling: e.dcSignaling},
            },
          ]
        : [];
    });
  }

  async #join(peer: RtcdPeer, data: JoinData): Promise<void> {
    const key = callKey(peer.clientID, data.callID);
    if (this.#sessions.has(data.sessionID)) throw new WireError('join: the session already exists');
    if (this.#draining && !this.#calls.has(key)) {
      this.#log.info(
        {callID: data.callID, sessionID: data.sessionID},
        'join refused: draining, this host takes no new calls',
      );
      peer.send({type: 'close', data: {sessionID: data.sessionID}});
      return;
    }
    const entry: Entry = {
      group: peer.clientID,
      callID: data.callID,
      userID: data.userID,
      channelID: data.channelID,
      av1Support: data.av1Support,
      dcSignaling: data.dcSignaling,
      route: peer,
      joinedOn: peer,
    };
    this.#sessions.set(data.sessionID, entry);
    let ids = this.#calls.get(key);
    if (!ids) this.#calls.set(key, (ids = new Set()));
    ids.add(data.sessionID);
    try {
      await this.#rtc.initSession({
        sessionID: data.sessionID,
        userID: data.userID,
        callID: key,
        channelID: data.channelID,
        av1Support: data.av1Support,
        dcSignaling: data.dcSignaling,
        // Metrics are labelled by installation, as upstream's groupID.
        groupID: peer.clientID,
      });
    } catch (err) {
      this.#forget(data.sessionID);
      this.#log.warn({sessionID: data.sessionID, callID: data.callID, err: (err as Error).message}, 'join failed');
      peer.send({type: 'close', data: {sessionID: data.sessionID}});
    }
  }

  #own(peer: RtcdPeer, sessionID: string): Entry {
    const e = this.#sessions.get(sessionID);
    // Another group's session is answered exactly like an unknown one.
    if (!e || e.group !== peer.clientID) throw new WireError('unknown session');
    return e;
  }

  #inbound(peer: RtcdPeer, m: RtcMessage): void {
    this.#own(peer, m.session_id);
    this.#rtc.send(rtcMessageToInbound(m));
  }

  #ids(e: Entry): Pick<RtcMessage, 'group_id' | 'user_id' | 'call_id'> {
    return {group_id: e.group, user_id: e.userID, call_id: e.callID};
  }

  #signal(sessionID: string, signal: RtcSignal): void {
    const e = this.#sessions.get(sessionID);
    if (e) e.route.send({type: 'rtc', data: signalToRtcMessage(sessionID, this.#ids(e), signal)});
  }

  #vad(sessionID: string, on: boolean): void {
    const e = this.#sessions.get(sessionID);
    if (e)
      e.route.send({
        type: 'vad',
        data: {...this.#ids(e), session_id: sessionID, type: on ? RtcMsgType.VoiceOn : RtcMsgType.VoiceOff},
      });
  }

  #restart(sessionID: string, reason: string): void {
    const e = this.#sessions.get(sessionID);
    if (!e) return;
    this.#log.info({sessionID, reason}, 'session media re-created');
    // A plugin that cannot ask its client to renegotiate is told the session ended instead.
    if (!e.route.understandsRestart) void this.#rtc.closeSession(sessionID);
    else e.route.send({type: 'restart', data: {sessionID}});
  }

  #closed(sessionID: string, reason: string): void {
    const e = this.#forget(sessionID);
    if (!e) return;
    this.#log.debug({sessionID, callID: e.callID, reason}, 'session closed');
    e.joinedOn.send({type: 'close', data: {sessionID}});
    if (this.#draining && this.#sessions.size === 0) this.#onIdle?.();
  }

  #forget(sessionID: string): Entry | undefined {
    const e = this.#sessions.get(sessionID);
    if (!e) return undefined;
    this.#sessions.delete(sessionID);
    const key = callKey(e.group, e.callID);
    const ids = this.#calls.get(key);
    ids?.delete(sessionID);
    if (ids && ids.size === 0) this.#calls.delete(key);
    return e;
  }
}

function callKey(group: string, callID: string): string {
  return `${group}\0${callID}`;
}
