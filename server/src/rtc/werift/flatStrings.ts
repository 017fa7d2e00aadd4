// Strings a session keeps for its whole life, stored without the memory they were cut from (werift 0.25.2).
// V8 keeps a substring of 13 or more characters as a slice that pins its whole parent, and a concatenation as a
// tree of its parts. Two kinds of werift's long-lived strings paid for that in every session of a media worker:
// - its ids: Node 20's crypto.randomUUID() builds each one by concatenating 20 pieces, ≈ 490 bytes of tree for
//   36 characters, and werift gives about a dozen objects of every peer connection one (peer connection,
//   transports, transceivers, tracks, candidates…);
// - what it parses out of an SDP (codec parameters, ICE password, candidate foundations, the origin line…): each is
//   a slice of the SDP, so every offer and answer a session ever set stayed in memory whole (≈ 2 KB each), and
//   the short ones, copies, were the same few words in every session.
import crypto from 'node:crypto';
import {SessionDescription} from 'werift';

/**
 * A copy of `s` that shares no memory with where it came from: the interned (flat, deduplicated) string a property
 * name becomes. Equal to `s`.
 */
export function flatString(s: string): string {
  const holder: Record<string, true> = {[s]: true};
  for (const key in holder) return key;
  return s;
}

/**
 * Replaces every string reachable through the own enumerable properties of `root` (a tree of plain data, such as a
 * parsed SDP) with its flat, interned copy. Shorter substrings than 13 characters are copies, not slices, but the
 * same few ("audio/opus", "udp", "host", "0.0.0.0"…) came out of every SDP: interned, each is held once.
 */
export function flattenStringsIn(root: object): void {
  const seen = new Set<object>();
  const stack: object[] = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (seen.has(node) || ArrayBuffer.isView(node)) continue;
    seen.add(node);
    const fields = node as Record<string, unknown>;
    for (const key of Object.keys(fields)) {
      const value = fields[key];
      if (typeof value === 'string') {
        try {
          fields[key] = flatString(value);
        } catch {
          // A read-only field keeps its string: correct, only larger.
        }
      } else if (value !== null && typeof value === 'object') {
        stack.push(value);
      }
    }
  }
}

let installed = false;

/**
 * werift's ids (crypto.randomUUID, read from Node's crypto module at each call) and every SDP it parses
 * (SessionDescription.parse: remote descriptions, and local ones, which werift parses back from their text) hold
 * flat strings from then on. Process-wide; idempotent.
 */
export function flattenWeriftStrings(): void {
  if (installed) return;
  installed = true;
  const randomUUID = crypto.randomUUID;
  crypto.randomUUID = ((options?: crypto.RandomUUIDOptions) =>
    flatString(randomUUID(options))) as typeof crypto.randomUUID;
  const parse = SessionDescription.parse.bind(SessionDescription);
  SessionDescription.parse = (sdp: string) => {
    const description = parse(sdp);
    flattenStringsIn(description);
    return description;
  };
}
