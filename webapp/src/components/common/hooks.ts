// React hooks over the live CallsClient, the plugin's store and the clock (dismissing popups: utils/dismiss.tsx).
import {useEffect, useReducer, useState} from 'react';
import {useSelector, useStore} from 'react-redux';

import {getCallsClient, listen} from '../../client/current';
import {basename} from '../../client/rest';
import {isPopOutWindow} from '../../popout';
import type {CallsClient, ClientEvents} from '../../client/calls_client';
import {callInChannel, type GlobalState} from '../../state/selectors';
import type {StoreLike} from '../../state/store_like';
import {formatDuration} from '../../utils/format';
import '../../host';

/** The host's store (Mattermost's or the standalone page's), typed as the plugin's actions take it. */
export function useCallsStore(): StoreLike {
  return useStore<GlobalState, {type: string; data?: unknown}>();
}

/** The current client; re-renders the caller when the client emits any of these events. */
export function useCallsClient(events: Array<keyof ClientEvents>): CallsClient | null {
  const client = getCallsClient();
  const [, bump] = useReducer((n: number) => n + 1, 0);
  useEffect(() => {
    if (!client) {
      return undefined;
    }
    const offs = events.map((e) => listen(client, e, () => bump()));
    return () => offs.forEach((off) => off());
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [client, events.join(',')]);
  return client;
}

/** Date.now(), refreshed every intervalMs. */
export function useNow(intervalMs = 500): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(t);
  }, [intervalMs]);
  return now;
}

/** The call's running time (mm:ss or h:mm:ss), refreshed twice a second. */
export function useCallDuration(channelID: string): string {
  const call = useSelector((s: GlobalState) => callInChannel(s, channelID));
  const now = useNow(500);
  return call?.startAt ? formatDuration(now - call.startAt) : '00:00';
}

/** Goes to a page of the webapp; from the pop-out, the main window goes there and comes to the front instead. */
export function navigateTo(url: string): void {
  if (isPopOutWindow()) {
    try {
      const opener = window.opener as Window | null;
      if (opener?.WebappUtils?.browserHistory) {
        opener.WebappUtils.browserHistory.push(url);
        opener.focus();
        return;
      }
    } catch {
      // A cross-origin opener: navigate here.
    }
  }
  const utils = window.WebappUtils;
  if (utils?.browserHistory) {
    // Mattermost's history already works under the subpath.
    utils.browserHistory.push(url);
  } else {
    window.location.assign(`${basename()}${url}`);
  }
}
