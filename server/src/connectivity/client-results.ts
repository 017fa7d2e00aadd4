// The last browser connectivity checks, for the admin page: validated (every field bounded), the verdict
// recomputed here, kept in memory only (a bounded list, newest first), at most a few per user and minute.
import {z} from 'zod';
import {checkVerdict, type CheckVerdict, type ClientCheckResult} from '../protocol';
import {UserRateLimiter} from '../api/rate-limit';

const address = z
  .string()
  .max(64)
  .regex(/^[0-9a-fA-F:.]+$|^[0-9a-zA-Z-]{1,40}\.local$/);
const candidate = z.strictObject({
  type: z.enum(['host', 'srflx', 'prflx', 'relay']),
  protocol: z.enum(['udp', 'tcp']),
  address,
  port: z.number().int().min(0).max(65535),
});
const transport = z.strictObject({
  ok: z.boolean(),
  tried: z.boolean(),
  rtt_ms: z.number().min(0).max(60_000).optional(),
  loss: z.number().min(0).max(1).optional(),
  local: candidate.optional(),
  remote: candidate.optional(),
  error: z.string().max(200).optional(),
});
const port = z.number().int().min(1).max(65535).nullable();

export const clientCheckSchema = z.strictObject({
  udp: transport,
  tcp: transport,
  relay: transport,
  auto: transport,
  udp_port: port,
  tcp_port: port,
  turn_urls: z.array(z.string().max(256)).max(8),
  user_agent: z.string().max(300).optional(),
});

export interface StoredClientCheck {
  user_id: string;
  username: string;
  at: number;
  user_agent?: string;
  result: ClientCheckResult;
  verdict: CheckVerdict;
}

export class ClientCheckLog {
  readonly #entries: StoredClientCheck[] = [];
  readonly #limit: number;
  readonly #limiter: UserRateLimiter;

  constructor(opts: {limit?: number; perMinute?: number} = {}) {
    this.#limit = opts.limit ?? 50;
    const perMinute = opts.perMinute ?? 6;
    this.#limiter = new UserRateLimiter({perSecond: perMinute / 60, burst: perMinute});
  }

  /** False when the user posted too many results recently. */
  allow(userID: string): boolean {
    return this.#limiter.allow(userID);
  }

  add(entry: Omit<StoredClientCheck, 'verdict'>): StoredClientCheck {
    const stored = {...entry, verdict: checkVerdict(entry.result)};
    this.#entries.unshift(stored);
    this.#entries.length = Math.min(this.#entries.length, this.#limit);
    return stored;
  }

  list(): StoredClientCheck[] {
    return [...this.#entries];
  }
}
