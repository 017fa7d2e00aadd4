// A minimal history router for the host page (also what window.WebappUtils.browserHistory.push drives).
import {useSyncExternalStore} from 'react';

const listeners = new Set<() => void>();

function notify() {
  listeners.forEach((l) => l());
}

if (typeof window !== 'undefined') {
  window.addEventListener('popstate', notify);
}

export function navigate(path: string, replace = false): void {
  if (path === window.location.pathname + window.location.search) {
    return;
  }
  if (replace) {
    window.history.replaceState(null, '', path);
  } else {
    window.history.pushState(null, '', path);
  }
  notify();
}

export function usePathname(): string {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => window.location.pathname,
  );
}
