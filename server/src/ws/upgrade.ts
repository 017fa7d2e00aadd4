// Routes the HTTP server's websocket upgrades to the websocket server: a foreign Origin is refused, and under a
// site path only requests inside it are accepted (with the path stripped, as for HTTP routes).
import type {Server} from 'node:http';
import {isOriginAllowed, refuseUpgrade} from '../http/origin';
import {isOutsideSitePath, stripSitePath} from '../http/site-path';
import type {Logger} from '../log';
import type {WsServer} from './server';

export function routeUpgrades(
  server: Server,
  ws: WsServer,
  o: {siteURL: () => string; basePath: string; log: Logger},
): void {
  server.on('upgrade', (req, socket, head) => {
    if (!isOriginAllowed(req.headers, o.siteURL())) {
      o.log.debug({origin: String(req.headers.origin).slice(0, 200)}, 'websocket refused: foreign Origin');
      return refuseUpgrade(socket);
    }
    if (o.basePath) {
      req.url = stripSitePath(req, o.basePath);
      if (isOutsideSitePath(req)) return socket.destroy();
    }
    if (!ws.handleUpgrade(req, socket, head)) socket.destroy();
  });
}
