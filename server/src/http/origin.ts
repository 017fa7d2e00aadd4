// Cross-site websocket hijacking guard. A browser attaches the session cookie to a websocket handshake
// whatever page opens it, and sends that page's Origin, so as Mattermost does, the handshake must come
// from our own pages: no Origin (a non-browser client) passes; otherwise the Origin must be the site URL's
// origin or the host the request was sent to (gorilla's same-origin rule, which Mattermost uses).
import type {IncomingHttpHeaders} from 'node:http';
import type {Duplex} from 'node:stream';

export function isOriginAllowed(headers: IncomingHttpHeaders, siteURL: string): boolean {
  const origin = headers.origin;
  if (origin === undefined) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  try {
    if (siteURL && url.origin === new URL(siteURL).origin) return true;
  } catch {
    // An unparsable site URL allows nothing by itself.
  }
  if (!headers.host) return false;
  try {
    // Parsed the same way, so "Host: Example.com:80" matches "Origin: http://example.com".
    return url.host === new URL(`${url.protocol}//${headers.host}`).host;
  } catch {
    return false;
  }
}

/** Answers a refused upgrade with a plain 403 on the raw socket and closes it. */
export function refuseUpgrade(socket: Duplex): void {
  const body = 'Forbidden: the Origin of this websocket is not the site URL.\n';
  socket.end(
    `HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
  // end() flushes, then the socket goes; a peer that never reads must not keep it.
  setTimeout(() => socket.destroy(), 1000).unref();
}
