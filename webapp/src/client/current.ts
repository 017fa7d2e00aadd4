// The one live call connection of this window, also exposed as window.callsClient (as upstream does, so tests and
// the browser console can reach it). In the pop-out window the connection is the opener's: the pop-out has none of
// its own, and listeners it adds to the opener's client are removed when the pop-out goes away.

import type {CallsClient, ClientEvents} from './calls_client';
import {isPopOutWindow} from '../popout';

declare global {
  interface Window {
    callsClient?: CallsClient;
  }
}

let current: CallsClient | null = null;

/** The opener window's client, when this is the pop-out (null if the opener is gone or not ours). */
export function openerCallsClient(): CallsClient | null {
  if (typeof window === 'undefined' || !isPopOutWindow()) {
    return null;
  }
  try {
    const client = (window.opener as Window | null)?.callsClient;
    return client && !client.isClosed ? client : null;
  } catch {
    // A cross-origin opener throws on access.
    return null;
  }
}

/** This window's own connection (never the opener's): what to disconnect, and what host actions act on. */
export function ownCallsClient(): CallsClient | null {
  return current && !current.isClosed ? current : null;
}

/** The connection the call UI drives: this window's, or in the pop-out the opener's. */
export function getCallsClient(): CallsClient | null {
  if (current && !current.isClosed) {
    return current;
  }
  return openerCallsClient();
}

export function setCallsClient(client: CallsClient | null): void {
  current = client;
  if (typeof window !== 'undefined') {
    if (client) {
      window.callsClient = client;
    } else {
      delete window.callsClient;
    }
  }
}

/** Forgets this client if it is still the current one (a newer client may already have replaced it). */
export function clearCallsClient(client: CallsClient): void {
  if (current === client) {
    setCallsClient(null);
  }
}

const foreignListeners = new Set<() => void>();
let pageHideBound = false;

/** Removes every listener this window put on another window's client (the pop-out is closing). */
export function removeForeignListeners(): void {
  for (const off of [...foreignListeners]) {
    off();
  }
  foreignListeners.clear();
}

/**
 * client.on(), but a listener put on the opener's client from the pop-out is also removed when the pop-out
 * unloads: the opener must never call into a closed window.
 */
export function listen<K extends keyof ClientEvents>(
  client: CallsClient,
  event: K,
  fn: (...args: ClientEvents[K]) => void,
): () => void {
  const off = client.on(event, fn);
  if (client === current || typeof window === 'undefined') {
    return off;
  }
  if (!pageHideBound) {
    pageHideBound = true;
    window.addEventListener('pagehide', removeForeignListeners);
  }
  const tracked = () => {
    foreignListeners.delete(tracked);
    off();
  };
  foreignListeners.add(tracked);
  return tracked;
}
