// Messages between the load-test coordinator and its client processes (child_process IPC, JSON).

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
}

export type FromPeers =
  | {ev: 'ready'}
  /** `retried`: why the first attempt failed, when the join needed a second one. */
  | {ev: 'joined'; index: number; joinMs: number; retried?: string}
  | {ev: 'joinFailed'; index: number; error: string}
  | {ev: 'report'; users: UserStats[]; cpuMicros: number; wallMs: number}
  | {ev: 'left'};
