// Server-side TURN: the ICE servers the SFU's own peer connections use. TURN entries are kept only when
// ServerSideTURN is on and a static auth secret exists; entries without credentials get short-lived
// per-session ones (TURN REST scheme: username "<expiry>:<sessionID>", password base64(HMAC-SHA1)).
import {createHmac} from 'node:crypto';
import type {ICEServerConfig} from '../../config/types';

export interface TurnCredentials {
  username: string;
  credential: string;
}

export function turnCredentials(
  secret: string,
  user: string,
  expirationMinutes: number,
  nowMs: number,
): TurnCredentials {
  const expiry = Math.floor(nowMs / 1000) + Math.max(0, Math.floor(expirationMinutes * 60));
  const username = `${expiry}:${user}`;
  const credential = createHmac('sha1', secret).update(username).digest('base64');
  return {username, credential};
}

export interface SessionIceServersOptions {
  iceServers: ICEServerConfig[];
  serverSideTURN: boolean;
  turnStaticAuthSecret: string;
  turnCredentialsExpirationMinutes: number;
}

/**
 * The TURN servers (only) for one session's peer connection. STUN entries are not given to werift:
 * the public address is discovered once at startup and advertised on the shared port instead.
 */
export function sessionTurnServers(
  opts: SessionIceServersOptions,
  sessionID: string,
  nowMs: number,
): ICEServerConfig[] {
  if (!opts.serverSideTURN || !opts.turnStaticAuthSecret) return [];
  const out: ICEServerConfig[] = [];
  for (const server of opts.iceServers) {
    const urls = server.urls.filter((u) => /^turns?:/i.test(u.trim()));
    if (urls.length === 0) continue;
    if (server.username && server.credential) {
      out.push({urls, username: server.username, credential: server.credential});
    } else {
      out.push({
        urls,
        ...turnCredentials(opts.turnStaticAuthSecret, sessionID, opts.turnCredentialsExpirationMinutes, nowMs),
      });
    }
  }
  return out;
}
