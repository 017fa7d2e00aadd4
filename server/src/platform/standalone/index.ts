// The standalone platform as a PlatformFactory: the built-in directory in our own store, seeded on first
// start, its /api/v4 subset and login routes, and Mattermost's websocket path (/api/v4/websocket).
import type {PlatformFactory} from '../factory';
import {StandaloneDirectory} from './directory';
import {LoginGuard} from './login-guard';
import {registerStandaloneRoutes} from './routes';
import {seedStandalone} from './seed';

/** Where Mattermost serves its websocket, which the standalone platform stands in for. */
export const WEBSOCKET_PATH = '/api/v4/websocket';

export const createStandalonePlatform: PlatformFactory = async (ctx) => {
  const dir = new StandaloneDirectory({
    db: ctx.store.db,
    clock: ctx.clock,
    logger: ctx.logger,
    events: ctx.events,
    siteURL: ctx.siteURL,
    dataDir: ctx.dataDir,
  });
  const seed = ctx.seed
    ? await seedStandalone(dir, ctx.store.kv, ctx.seedPassword ?? ctx.env.MM_CALLS_SEED_PASSWORD)
    : null;
  return {
    platform: dir,
    websocketPath: WEBSOCKET_PATH,
    seed,
    registerRoutes: (http, r) =>
      registerStandaloneRoutes(http, {...r, dir, loginGuard: new LoginGuard(ctx.clock, ctx.loginGuard)}),
  };
};
