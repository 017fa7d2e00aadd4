// Subpath installs: routes see the URL without the site's path; a URL outside it is marked, never served as if inside.
import type {IncomingMessage} from 'node:http';

import {hostPageUnder, isOutsideSitePath, sitePath, stripSitePath} from './site-path';

const req = (url: string) => ({url}) as IncomingMessage;

test("the site URL's path, without its trailing slash", () => {
  expect(sitePath(undefined)).toBe('');
  expect(sitePath('http://localhost:8065')).toBe('');
  expect(sitePath('https://example.com/')).toBe('');
  expect(sitePath('https://example.com/chat/')).toBe('/chat');
  expect(sitePath('https://example.com/company/chat')).toBe('/company/chat');
  expect(() => sitePath('not a url')).toThrow(/not a valid URL/);
  expect(() => sitePath('ftp://example.com/chat')).toThrow(/http/);
});

test('URLs under the path are routed without it; others are marked as outside', () => {
  for (const [url, routed] of [
    ['/chat', '/'],
    ['/chat/', '/'],
    ['/chat?x=1', '/?x=1'],
    ['/chat/api/v4/websocket?connection_id=a', '/api/v4/websocket?connection_id=a'],
    ['/chat/static/plugins/com.mattermost.calls/main.js', '/static/plugins/com.mattermost.calls/main.js'],
  ]) {
    const r = req(url);
    expect(stripSitePath(r, '/chat')).toBe(routed);
    expect(isOutsideSitePath(r)).toBe(false);
  }
  for (const url of ['/', '/api/v4/users/me', '/chatter/api/v4/users/me', '/static/standalone/standalone.js']) {
    const r = req(url);
    expect(stripSitePath(r, '/chat')).toBe('/');
    expect(isOutsideSitePath(r)).toBe(true);
  }
  const root = req('/api/v4/users/me');
  expect(stripSitePath(root, '')).toBe('/api/v4/users/me');
  expect(isOutsideSitePath(root)).toBe(false);
});

test('the host page under a subpath loads its script from there and tells the plugins the base', () => {
  const html =
    '<html><head><title>Calls</title></head><body><script src="/static/standalone/standalone.js"></script></body></html>';
  const out = hostPageUnder(html, '/company/chat');
  expect(out).toContain('<script src="/company/chat/static/standalone/standalone.js"></script>');
  expect(out).toContain('<head>\n    <script>window.basename = "/company/chat";</script>');
  expect(out).not.toContain('"/static/');
});
