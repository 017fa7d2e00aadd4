// Subpath installs (site URL http://host/chat): like Mattermost, the server itself serves everything under the site
// URL's path. Requests are routed with the path stripped; anything outside it is refused (the bare root redirects).
import type {IncomingMessage} from 'node:http';

import {ConfigError} from '../config/validate';

const OUTSIDE = Symbol('outsideSitePath');

/** The site URL's path without its trailing slash ('' for a site at the root); a ConfigError for an unusable URL. */
export function sitePath(siteURL: string | undefined): string {
  if (!siteURL) return '';
  let u: URL;
  try {
    u = new URL(siteURL);
  } catch {
    throw new ConfigError('MM_CALLS_SITE_URL', 'MM_CALLS_SITE_URL is not a valid URL');
  }
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.search || u.hash) {
    throw new ConfigError('MM_CALLS_SITE_URL', 'MM_CALLS_SITE_URL must be an http(s) URL without query or fragment');
  }
  return u.pathname.replace(/\/+$/, '');
}

/**
 * The request URL as the routes know it: `url` with `base` taken off. A URL outside `base` is marked on the request
 * (see isOutsideSitePath) and routed as '/'.
 */
export function stripSitePath(req: IncomingMessage, base: string): string {
  const url = req.url ?? '/';
  if (!base) return url;
  if (url === base || url.startsWith(`${base}?`)) return `/${url.slice(base.length)}`;
  if (url.startsWith(`${base}/`)) return url.slice(base.length);
  (req as IncomingMessage & {[OUTSIDE]?: boolean})[OUTSIDE] = true;
  return '/';
}

export function isOutsideSitePath(req: IncomingMessage): boolean {
  return Boolean((req as IncomingMessage & {[OUTSIDE]?: boolean})[OUTSIDE]);
}

/**
 * The host page for a site under `basePath`, as Mattermost rewrites its root.html for a subpath: static URLs get the
 * path, and window.basename tells the host page and the plugins where the site is.
 */
export function hostPageUnder(html: string, basePath: string): string {
  const base = JSON.stringify(basePath).replace(/</g, '\\u003c');
  return html
    .replace(/(src|href)="\/static\//g, `$1="${basePath}/static/`)
    .replace('<head>', `<head>\n    <script>window.basename = ${base};</script>`);
}
