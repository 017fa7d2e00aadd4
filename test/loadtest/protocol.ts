// Messages between the load-test coordinator and its client processes (child_process IPC, JSON), and the rates the
// simulated senders send at, which the coordinator needs too.

export const AUDIO_INTERVAL_MS = 20;
export const VIDEO_FPS = 15;
/** 8 × 1100 bytes × 15 fps ≈ 1.06 Mbit/s of payload. */
export const VIDEO_PACKETS_PER_FRAME = 8;

/** RTP packets a second that `unmuted` speakers and `screen` sharers send to the server. */
export function sentPacketsPerSecond(unmuted: number, screen: number): number {
  return unmuted * (1000 / AUDIO_INTERVAL_MS) + screen * VIDEO_FPS * VIDEO_PACKETS_PER_FRAME;
}

export interface UserSpec {
  /** Global user index (0 … calls×users−1). */
  index: number;
  call: number;
  token: string;
  channelID: string;
  unmuted: boolean;
  screen: boolean;
  /** Decrypts everything it receives (the sample); otherwise counts SRTP datagrams without decrypting. */
  full: boolean;
  /** A lean receiver (leanReceiver.ts): counts per SSRC and decrypts one packet in `leanSample`. */
  lean: boolean;
}

export type ToPeers =
  | {cmd: 'join'; user: UserSpec}
  /**
   * The measurement window in wall-clock ms (Date.now(), one clock for every process on the machine):
   * packets sent and packets received within it are counted. Counting by timestamp rather than by a
   * "reset" message keeps busy processes, which read messages late, from skewing the counts.
   */
  | {cmd: 'window'; start: number; end: number}
  | {cmd: 'report'}
  | {cmd: 'leave'};

export interface UserStats {
  index: number;
  call: number;
  full: boolean;
  /** Connected with calls-dc open (users that failed to join are not counted as receivers). */
  joined: boolean;
  sentAudio: number;
  sentVideo: number;
  recvAudio: number;
  recvVideo: number;
  /** Distinct incoming streams seen since the last reset. */
  streams: number;
  /** Date.now() when the join completed (calls-dc open), when this user's own media started (speakers and
   * sharers: their track answered) and when its first RTP from the call arrived. */
  joinedAt?: number;
  sendingAt?: number;
  firstMediaAt?: number;
  /** A lean receiver's decrypted sample (whole run) and RTP on SSRCs none of its tracks announced. */
  lean?: LeanSample;
}

export interface LeanSample {
  sampled: number;
  verified: number;
  failed: number;
  unexpected: number;
}

/** Where a join's time went, each stage in ms from the end of the previous one (the attempt that succeeded). */
export interface JoinStages {
  /** Websocket open, authenticated, hello received. */
  websocket: number;
  /** The join action until the join event. */
  join: number;
  /** First offer sent until ICE connected (includes the server's answer and its candidates). */
  ice: number;
  /** ICE connected until DTLS done (the peer connection connected). */
  dtls: number;
  /** DTLS done until calls-dc open. */
  dataChannel: number;
}

export const JOIN_STAGES: readonly (keyof JoinStages)[] = ['websocket', 'join', 'ice', 'dtls', 'dataChannel'];

/**
 * Why joined users were lost, by the first sign of it each user saw (e.g. "websocket closed 1006", "peer failed (ice
 * disconnected)", "calls-dc closed"), with when the first and the last of them happened (Date.now() ms).
 */
/** `ice`: the first such loss's selected-pair counters (what its consent checks got back). */
export type LossCauses = Record<string, {n: number; firstAt: number; lastAt: number; ice?: string}>;

/** Adds one process's causes into the total. */
export function mergeLossCauses(into: LossCauses, from: LossCauses): LossCauses {
  for (const [what, c] of Object.entries(from)) {
    const t = into[what];
    into[what] = t
      ? {
          n: t.n + c.n,
          firstAt: Math.min(t.firstAt, c.firstAt),
          lastAt: Math.max(t.lastAt, c.lastAt),
          ice: c.firstAt < t.firstAt ? (c.ice ?? t.ice) : (t.ice ?? c.ice),
        }
      : {...c};
  }
  return into;
}

export type FromPeers =
  | {ev: 'ready'}
  /** `retried`: why the first attempt failed, when the join needed a second one. */
  | {ev: 'joined'; index: number; joinMs: number; stages: JoinStages; retried?: string}
  | {ev: 'joinFailed'; index: number; error: string}
  /** `lagMaxMs`: the process's longest event-loop stall; `lost`: its joined users whose connection failed since. */
  | {
      ev: 'report';
      users: UserStats[];
      cpuMicros: number;
      wallMs: number;
      lagMaxMs: number;
      /** The longest garbage collection pause and the largest V8 heap (used) the process had. */
      gcMaxMs: number;
      heapMaxMB: number;
      lost: number;
      lossCauses: LossCauses;
    }
  | {ev: 'left'};
