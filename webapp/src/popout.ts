// The expanded view as a pop-out window (reference webapp.md §2.3): the route /{team}/com.mattermost.calls/expanded/
// {channelId} that the widget opens with window.open. The pop-out has no call connection of its own: it drives the
// opener's window.callsClient. Only one pop-out at a time; opening again focuses it.
import {basename} from './client/rest';
import {pluginId} from './manifest';

export const POPOUT_ROUTE = '/expanded';
const WINDOW_NAME = 'ExpandedView';

let popOut: Window | null = null;

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The channel id of the pop-out route in this path ('' when it is not the pop-out). */
export function popOutChannelID(pathname: string, base = basename()): string {
  const path = base && pathname.startsWith(base) ? pathname.slice(base.length) : pathname;
  const m = new RegExp(`^/[^/]+/${escapeRe(pluginId)}${POPOUT_ROUTE}/([^/?#]+)/?$`).exec(path);
  return m ? m[1] : '';
}

/** True in the pop-out window. */
export function isPopOutWindow(): boolean {
  return typeof window !== 'undefined' && Boolean(popOutChannelID(window.location.pathname));
}

/** The pop-out's URL for a call, under the subpath when Mattermost is installed under one. */
export function popOutURL(teamName: string, channelID: string, base = basename()): string {
  return `${base}/${encodeURIComponent(teamName)}/${pluginId}${POPOUT_ROUTE}/${channelID}`;
}

/**
 * Opens the pop-out (or focuses the open one). Returns false when the browser blocked it, so the caller can show
 * the in-page expanded view instead.
 */
export function openPopOut(teamName: string, channelID: string): boolean {
  if (popOut && !popOut.closed) {
    popOut.focus();
    return true;
  }
  const w = window.open(popOutURL(teamName, channelID), WINDOW_NAME, 'resizable=yes');
  if (!w) {
    return false;
  }
  popOut = w;
  return true;
}

export function isPopOutOpen(): boolean {
  return Boolean(popOut && !popOut.closed);
}

/** Closes the pop-out, if this window opened one (the call it showed has ended). */
export function closePopOut(): void {
  if (popOut && !popOut.closed) {
    popOut.close();
  }
  popOut = null;
}
