// The native routes installed now (nativeRoute.ts) and their sweep timer, in a module of its own: the shared
// sockets reach them when they close without importing the forwarding path.

/** What the registry needs of a route. */
export interface InstalledRoute {
  /** Reads the writers' transports again and collects what the addon counted. */
  sweep(): void;
  /** Adds what the addon counted to the tracks' counts (and its audio levels to voice activity). */
  collect(): void;
  uninstallIfSendingOn(fd: number): void;
}

/** How often installed routes' transports are read again and their counts and levels collected. */
const SWEEP_MS = 200;

const installed = new Set<InstalledRoute>();
let sweeper: NodeJS.Timeout | undefined;

function sweepAll(): void {
  for (const route of installed) route.sweep();
  if (installed.size === 0 && sweeper) {
    clearInterval(sweeper);
    sweeper = undefined;
  }
}

export function routeInstalled(route: InstalledRoute): void {
  installed.add(route);
  sweeper ??= setInterval(sweepAll, SWEEP_MS).unref();
}

export function routeUninstalled(route: InstalledRoute): void {
  installed.delete(route);
}

/** Brings the tracks' and the server's counts up to date with what the addon forwarded (before they are read). */
export function collectRouteCounts(): void {
  for (const route of installed) route.collect();
}

/** Removes every installed route that sends on `fd`: its socket is closing, and the number may be reused. */
export function uninstallRoutesSendingOn(fd: number): void {
  for (const route of installed) route.uninstallIfSendingOn(fd);
}
