// The subset of Mattermost's /api/v4 REST API that the webapp and the standalone host page use,
// served by the built-in directory. Shapes follow @mattermost/types; errors are {id, message, status_code}.
import type {FastifyInstance} from 'fastify';
import {registerChannelRoutes} from './channel-routes';
import {registerFileRoutes} from './file-routes';
import {registerPostRoutes} from './post-routes';
import {routeContext, type StandaloneRoutesDeps} from './route-context';
import {registerSystemRoutes} from './system-routes';
import {registerUserRoutes} from './user-routes';

export type {StandaloneRoutesDeps} from './route-context';

export async function registerStandaloneRoutes(app: FastifyInstance, d: StandaloneRoutesDeps): Promise<void> {
  const c = routeContext(d);
  registerFileRoutes(app, d.dir, c.me);
  registerUserRoutes(app, c);
  registerChannelRoutes(app, c);
  registerPostRoutes(app, c);
  registerSystemRoutes(app, c);
}
