// The route table, read from the server itself: an in-process node (the same createApp that `npm start`
// runs) is started briefly and its registered routes are returned.
import {startTestServer} from '../../support/server';
import type {Route} from './httpFuzz';

export async function serverRoutes(): Promise<Route[]> {
  const srv = await startTestServer({});
  try {
    return srv.app.routes.map((r) => ({method: r.method, url: r.url}));
  } finally {
    await srv.stop();
  }
}
