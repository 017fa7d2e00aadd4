// A minimal history router for the host page (also what window.WebappUtils.browserHistory.push drives). Like
// Mattermost's history under a subpath, paths are the site's own (/team/channels/x): window.basename is added to the
// address bar and taken off what the routes see.
import {useSyncExternalStore} from 'react';

import {basename} from '../client/rest';

const listeners = new Set<() => void>();

function notify() {
  listeners.forEach((l) => l());
}

if (typeof window !== 'undefined') {
  window.addEventListener('popstate', notify);
}

/** The site path of an address-bar path: without window.basename. */
export function sitePathname(pathname = window.location.pathname): string {
  const base = basename();
  if (base && (pathname === base || pathname.startsWith(`${base}/`))) {
    return pathname.slice(base.length) || '/';
  }
  return pathname;
}

/** The address-bar URL of a site path. */
export function siteHref(path: string): string {
  return `${basename()}${path}`;
}

export function navigate(path: string, replace = false): void {
  const href = siteHref(path);
  if (href === window.location.pathname + window.location.search) {
    return;
  }
  if (replace) {
    window.history.replaceState(null, '', href);
  } else {
    window.history.pushState(null, '', href);
  }
  notify();
}

export function usePathname(): string {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => sitePathname(),
  );
}
