// Validation of what clients send into a session (SDP, ICE candidates) before werift sees it, so bad
// input gets a clear, stable error for that session instead of an exception deep in the stack.
import {AppError} from '../../errors';
import type {SessionDescription} from '../types';

/** A refusal of a client's input; `details` (the SFU library's own words) go to the log only. */
export function rtcError(id: string, message: string, details?: Record<string, unknown>): AppError {
  return new AppError(`app.rtc.${id}`, message, 400, details);
}

interface MediaSection {
  kind: string;
  port: number;
  mid?: string;
  direction: string;
  rtpmaps: string[];
}

function sections(sdp: string): MediaSection[] {
  const out: MediaSection[] = [];
  let current: MediaSection | undefined;
  for (const raw of sdp.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith('m=')) {
      const [kind, port] = line.slice(2).split(' ');
      current = {kind, port: Number(port), direction: 'sendrecv', rtpmaps: []};
      out.push(current);
    } else if (current) {
      if (line.startsWith('a=mid:')) current.mid = line.slice(6);
      else if (/^a=(sendrecv|sendonly|recvonly|inactive)$/.test(line)) current.direction = line.slice(2);
      else if (line.startsWith('a=rtpmap:')) current.rtpmaps.push(line.slice(9).toLowerCase());
    }
  }
  return out;
}

/** mid → the direction the remote side wrote for that m-line. */
export function remoteMediaDirections(sdp: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const s of sections(sdp)) if (s.mid !== undefined && s.port !== 0) out.set(s.mid, s.direction);
  return out;
}

/**
 * Checks a client session description: shape, size, SDP syntax basics, and for offers that there is
 * something to negotiate (the calls-dc data channel or audio) and that audio sections offer Opus.
 */
export function checkSessionDescription(desc: unknown, maxBytes: number): AppError | undefined {
  const d = desc as Partial<SessionDescription> | null;
  if (!d || typeof d !== 'object' || typeof d.sdp !== 'string' || typeof d.type !== 'string') {
    return rtcError('invalid_sdp', 'session description must be {type, sdp}');
  }
  if (Buffer.byteLength(d.sdp, 'utf8') > maxBytes) {
    return rtcError('sdp_too_large', `session description exceeds ${maxBytes} bytes`);
  }
  if (d.type !== 'offer' && d.type !== 'answer') return undefined;
  if (!/^v=0\r?\n/.test(d.sdp) || !/\r?\no=/.test(d.sdp)) {
    return rtcError('invalid_sdp', 'session description is not SDP');
  }
  const media = sections(d.sdp);
  if (media.length === 0) return rtcError('invalid_sdp', 'session description has no media section');
  for (const m of media) {
    if (!['audio', 'video', 'application'].includes(m.kind) || !Number.isInteger(m.port)) {
      // The client's own text, quoted short: the reason travels in logs, relays and the client's error event.
      const kind = m.kind.length > 32 ? `${m.kind.slice(0, 32)}…` : m.kind;
      return rtcError('invalid_sdp', `unsupported media section "${kind}"`);
    }
  }
  if (d.type === 'offer') {
    const live = media.filter((m) => m.port !== 0);
    if (!live.some((m) => m.kind === 'audio' || m.kind === 'application')) {
      return rtcError('invalid_offer', 'offer has neither audio nor the calls-dc data channel');
    }
    for (const m of live) {
      if (m.kind === 'audio' && !m.rtpmaps.some((r) => / opus\/48000/.test(r))) {
        return rtcError('invalid_offer', 'offer has an audio section without Opus');
      }
    }
  }
  return undefined;
}

const CANDIDATE_RE =
  /^(?:candidate:)?\S{1,32} \d{1,5} (?:udp|tcp) \d{1,10} \S{1,64} \d{1,5} typ (?:host|srflx|prflx|relay)(?: .*)?$/i;

export function checkIceCandidate(candidate: string): AppError | undefined {
  if (candidate.length > 1024 || !CANDIDATE_RE.test(candidate.trim())) {
    return rtcError('invalid_ice', 'ice candidate is not a valid candidate line');
  }
  return undefined;
}
