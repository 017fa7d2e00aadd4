// Which channels a websocket event touched, and when, so that a REST snapshot of every channel's calls state that was
// taken while an event was on its way cannot overwrite the newer state the event brought (a call_start landing
// during GET /channels would otherwise be ended again by the stale list).

let clock = 0;
const touched = new Map<string, number>();

/** Records that an event about this channel was applied now. */
export function noteChannelEvent(channelID: string): void {
  if (channelID) {
    touched.set(channelID, ++clock);
  }
}

/** A mark to compare later events against; take it before sending the request. */
export function channelEventMark(): number {
  return clock;
}

/** The channels an event touched after the mark. */
export function channelsTouchedSince(mark: number): Set<string> {
  const out = new Set<string>();
  for (const [channelID, at] of touched) {
    if (at > mark) {
      out.add(channelID);
    }
  }
  return out;
}
