// HTTP routes of the connectivity check: the admin report (GET /connectivity, system admins only), the
// check sessions a browser connects to (POST /connectivity/check) and its posted results
// (POST /connectivity/results). Per-user limits on all of them.
import type {FastifyInstance, FastifyRequest} from 'fastify';
import {z} from 'zod';
import {AppError, forbidden} from '../errors';
import {parseBody, requireSession} from '../http/server';
import type {Logger} from '../log';
import type {Platform} from '../platform/types';
import type {RtcServer, SessionDescription} from '../rtc/types';
import type {CallsConfig} from '../config/types';
import {UserRateLimiter} from '../api/rate-limit';
import {CheckSessions, type CheckSessionOptions} from './check-sessions';
import {ClientCheckLog, clientCheckSchema} from './client-results';
import {ConnectivityReporter} from './report';

export interface ConnectivityRoutesDeps {
  prefix: string;
  platform: Platform;
  config: () => CallsConfig;
  rtc: () => RtcServer | null;
  logger: Logger;
  checkSessions?: CheckSessionOptions;
  probeTimeoutMs?: number;
}

const checkBody = z.strictObject({
  offer: z.strictObject({type: z.literal('offer'), sdp: z.string().min(1).max(20_000)}),
});

/** Registers the routes; returns what the app closes at shutdown. */
export function registerConnectivityRoutes(app: FastifyInstance, d: ConnectivityRoutesDeps): {close(): void} {
  const sessions = new CheckSessions(d.rtc, d.logger, d.checkSessions);
  const clientChecks = new ClientCheckLog();
  const reporter = new ConnectivityReporter({
    config: d.config,
    rtc: d.rtc,
    clientChecks,
    probeTimeoutMs: d.probeTimeoutMs,
  });
  // One check opens four sessions at once; a dozen checks a minute is plenty for one person.
  const checkLimiter = new UserRateLimiter({perSecond: 48 / 60, burst: 16});
  const reportLimiter = new UserRateLimiter({perSecond: 1, burst: 10});
  // Before a result body is even parsed; storing one is limited further (ClientCheckLog).
  const resultLimiter = new UserRateLimiter({perSecond: 1, burst: 20});
  const auth = (token: string) => d.platform.authenticateToken(token);
  const tooMany = () => new AppError('app.calls.too_many_requests', 'too many requests', 429);

  async function user(req: FastifyRequest, limiter: UserRateLimiter): Promise<string> {
    const s = await requireSession(req, auth);
    if (!limiter.allow(s.userID)) throw tooMany();
    return s.userID;
  }

  app.get(`${d.prefix}/connectivity`, async (req) => {
    const uid = await user(req, reportLimiter);
    if (!(await d.platform.isSystemAdmin(uid))) throw forbidden('api.context.permissions.app_error', 'Forbidden');
    return reporter.report();
  });

  app.post(`${d.prefix}/connectivity/check`, async (req) => {
    const uid = await user(req, checkLimiter);
    const body = parseBody(checkBody, req.body);
    return sessions.open(uid, body.offer as SessionDescription);
  });

  app.post(`${d.prefix}/connectivity/results`, {bodyLimit: 16 * 1024}, async (req) => {
    const uid = await user(req, resultLimiter);
    const body = parseBody(clientCheckSchema, req.body);
    if (!clientChecks.allow(uid)) throw tooMany();
    const u = await d.platform.getUser(uid);
    const {user_agent: userAgent, ...result} = body;
    const stored = clientChecks.add({
      user_id: uid,
      username: u?.username ?? uid,
      at: Date.now(),
      user_agent: userAgent,
      result,
    });
    return {verdict: stored.verdict};
  });

  return {close: () => sessions.close()};
}
