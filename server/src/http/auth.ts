// Where a request's login token comes from: Authorization (Bearer/Token), then the MMAUTHTOKEN cookie,
// as Mattermost accepts them. Also tells whether the cookie was used, for the CSRF rule.
import {timingSafeEqual} from 'node:crypto';
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

/** The CSRF cookie Mattermost sets beside MMAUTHTOKEN; a write must echo it in X-CSRF-Token. */
export const CSRF_COOKIE = 'MMCSRF';

/**
 * Mattermost's rule for cookie-authenticated writes: X-CSRF-Token equal to the MMCSRF cookie (a page on
 * another site can send the cookies but cannot read them), or X-Requested-With: XMLHttpRequest (which a
 * cross-site form cannot set and a cross-site fetch cannot send without a CORS preflight we never grant).
 */
export function passesCSRF(headers: IncomingHttpHeaders): boolean {
  if (headers['x-requested-with'] === 'XMLHttpRequest') return true;
  const header = headers['x-csrf-token'];
  const cookie = parseCookies(headers.cookie)[CSRF_COOKIE];
  return typeof header === 'string' && header.length > 0 && cookie !== undefined && timingSafeEqualText(header, cookie);
}

function timingSafeEqualText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
