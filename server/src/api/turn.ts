// TURN REST credentials (the coturn "use-auth-secret" scheme): username "<expiry unix>:<name>",
// credential base64(HMAC-SHA1(secret, username)).
import {createHmac} from 'node:crypto';
import type {ICEServerConfig} from '../config/types';

export interface TurnCredentials {
  username: string;
  credential: string;
}

export function turnCredentials(secret: string, name: string, expiresAtUnix: number): TurnCredentials {
  const username = `${expiresAtUnix}:${name}`;
  const credential = createHmac('sha1', secret).update(username).digest('base64');
  return {username, credential};
}

/** One entry per credential-less TURN server, carrying generated credentials. */
export function turnServersFor(
  servers: ICEServerConfig[],
  secret: string,
  name: string,
  expiresAtUnix: number,
): ICEServerConfig[] {
  const creds = turnCredentials(secret, name, expiresAtUnix);
  return servers.map((s) => ({urls: [...s.urls], username: creds.username, credential: creds.credential}));
}
