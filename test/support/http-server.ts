// Loopback listening and a hard stop for the tests' own HTTP servers (the fake Mattermost, the site in front of
// it and the service).
import type http from 'node:http';
import type {AddressInfo} from 'node:net';

/** Listens on 127.0.0.1 (port 0: any free one) and resolves with the port; rejects when the port is taken. */
export function listenLoopback(server: http.Server, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

/** Stops a server at once: every open connection (keep-alive, websockets) is cut, then it closes. */
export async function closeNow(server: http.Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
