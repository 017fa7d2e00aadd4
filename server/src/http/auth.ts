// Where a request's login token comes from: Authorization (Bearer/Token), then the MMAUTHTOKEN cookie,
// as Mattermost accepts them. Also tells whether the cookie was used, for the CSRF rule.
import type {IncomingHttpHeaders} from 'node:http';

export const AUTH_COOKIE = 'MMAUTHTOKEN';

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    const k = part.slice(0, i).trim();
    const v = part.slice(i + 1).trim();
    try {
      out[k] = decodeURIComponent(v);
    } catch {
      out[k] = v;
    }
  }
  return out;
}

export interface TokenSource {
  token: string;
  fromCookie: boolean;
}

export function tokenSourceFromRequest(headers: IncomingHttpHeaders): TokenSource | null {
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const m = /^(?:Bearer|Token)\s+(\S+)$/i.exec(auth.trim());
    if (m) return {token: m[1], fromCookie: false};
  }
  const cookie = parseCookies(headers.cookie)[AUTH_COOKIE];
  if (cookie) return {token: cookie, fromCookie: true};
  return null;
}

export function tokenFromRequest(headers: IncomingHttpHeaders): string | null {
  return tokenSourceFromRequest(headers)?.token ?? null;
}
