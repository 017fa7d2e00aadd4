// The cluster settings of a node, from its environment, checked against the store before anything
// starts: several nodes need one shared PostgreSQL, so cluster settings with SQLite are refused.
import type {StoreEngine} from '../store/types';

export interface ClusterSettings {
  /** MM_CALLS_IS_HANDLER=true: this node runs the SFU for every call (single-handler mode). */
  isHandler: boolean;
  /**
   * MM_CALLS_CLUSTER_MODE: `clustered` or `single_handler` forces the mode; unset follows the cluster
   * (single handler while a handler is registered, clustered otherwise).
   */
  forcedMode?: 'clustered' | 'single_handler';
  /**
   * MM_CALLS_HANDLER_WAIT_SECONDS: how long a call whose media no node may run (single handler, no
   * handler alive) waits for one before it is ended; 0 = as long as anyone stays. Default 10 minutes.
   */
  handlerWaitMs?: number;
}

export const DEFAULT_HANDLER_WAIT_MS = 600_000;

export class ClusterSettingsError extends Error {}

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off', '']);

export function clusterSettingsFromEnv(env: NodeJS.ProcessEnv): ClusterSettings {
  const rawHandler = (env.MM_CALLS_IS_HANDLER ?? '').trim().toLowerCase();
  if (!TRUE.has(rawHandler) && !FALSE.has(rawHandler)) {
    throw new ClusterSettingsError(`invalid MM_CALLS_IS_HANDLER: "${env.MM_CALLS_IS_HANDLER}" (use true or false)`);
  }
  const rawMode = (env.MM_CALLS_CLUSTER_MODE ?? '').trim().toLowerCase().replace('-', '_');
  if (rawMode !== '' && rawMode !== 'clustered' && rawMode !== 'single_handler') {
    throw new ClusterSettingsError(
      `invalid MM_CALLS_CLUSTER_MODE: "${env.MM_CALLS_CLUSTER_MODE}" (use clustered or single_handler)`,
    );
  }
  const rawWait = (env.MM_CALLS_HANDLER_WAIT_SECONDS ?? '').trim();
  if (rawWait !== '' && !/^\d{1,7}$/.test(rawWait)) {
    throw new ClusterSettingsError(
      `invalid MM_CALLS_HANDLER_WAIT_SECONDS: "${env.MM_CALLS_HANDLER_WAIT_SECONDS}" (whole seconds, 0 = no limit)`,
    );
  }
  const settings: ClusterSettings = {
    isHandler: TRUE.has(rawHandler),
    handlerWaitMs: rawWait === '' ? DEFAULT_HANDLER_WAIT_MS : Number(rawWait) * 1000,
  };
  if (rawMode) settings.forcedMode = rawMode as ClusterSettings['forcedMode'];
  if (settings.isHandler && settings.forcedMode === 'clustered') {
    throw new ClusterSettingsError('MM_CALLS_IS_HANDLER=true contradicts MM_CALLS_CLUSTER_MODE=clustered');
  }
  return settings;
}

/** Several nodes cannot share SQLite: refuse cluster settings without MM_CALLS_DATABASE_URL. */
export function checkClusterEngine(settings: ClusterSettings, engine: StoreEngine): void {
  if (engine === 'postgres') return;
  const what = settings.isHandler
    ? 'MM_CALLS_IS_HANDLER=true'
    : settings.forcedMode
      ? `MM_CALLS_CLUSTER_MODE=${settings.forcedMode}`
      : '';
  if (what) {
    throw new ClusterSettingsError(
      `${what} needs PostgreSQL: several nodes must share one database, and the embedded SQLite store cannot be shared. ` +
        'Set MM_CALLS_DATABASE_URL (postgres://user:password@host:5432/db) on every node.',
    );
  }
}
