// Serves the built webapp as Mattermost would: the standalone host page (for every client-side route) and the
// plugin bundle, with a JSON 404 for unknown API paths.
import fs from 'node:fs';
import path from 'node:path';
import type {FastifyInstance, FastifyReply} from 'fastify';
import {PLUGIN_ID} from '../config/schema';
import {hostPageUnder} from './site-path';
import {serveDirectory} from './static';

/** dist is webapp/dist; basePath the site URL's path ('' at the root). */
export function serveWebapp(http: FastifyInstance, dist: string, basePath: string): void {
  const standalone = path.join(dist, 'standalone');
  const index = path.join(standalone, 'index.html');
  serveDirectory(http, '/static/standalone/', standalone);
  serveDirectory(http, `/static/plugins/${PLUGIN_ID}/`, dist);
  const spa = (reply: FastifyReply) => {
    if (!fs.existsSync(index)) {
      return reply.status(503).type('text/plain').send('The webapp is not built yet: run `npm run build`.');
    }
    reply.type('text/html').header('Cache-Control', 'no-cache');
    if (!basePath) return reply.send(fs.createReadStream(index));
    return reply.send(hostPageUnder(fs.readFileSync(index, 'utf8'), basePath));
  };
  http.get('/', (_req, reply) => spa(reply));
  // Client-side routes (/{team}/channels/{name}, /admin…) all load the host page.
  http.get('/*', (req, reply) => {
    const p = req.url.split('?')[0];
    if (p.startsWith('/api/') || p.startsWith('/plugins/') || p.startsWith('/static/')) {
      return reply
        .status(404)
        .send({id: 'api.context.404.app_error', message: 'Sorry, we could not find the page.', status_code: 404});
    }
    return spa(reply);
  });
}
