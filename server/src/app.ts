// Assembles one server node: config, store, platform (a factory: standalone, or by MM_CALLS_PLATFORM),
// websocket, calls, media and HTTP, and tears it down in the reverse order. `npm start` and every test
// that needs a real server go through createApp.
import path from 'node:path';
import {registerPluginRoutes} from './api/routes';
import type {App, AppOptions} from './app-types';
import {CallsPublisher} from './calls/publish';
import {CallsService, DEFAULT_TIMINGS} from './calls/service';
import {executeCallCommand} from './calls/slash';
import {systemClock} from './clock';
import {
  clusterMigrations,
  clusterSettingsFromEnv,
  checkClusterEngine,
  createCoordination,
  persistentNodeID,
} from './cluster';
import {adminConfigView, saveAdminConfig} from './config/admin';
import {PLUGIN_ID, PLUGIN_VERSION} from './config/schema';
import {PeerSettings} from './config/peer-settings';
import {ConfigService} from './config/service';
import {groupCallsAllowedByEnv} from './config/env';
import {limitsFromEnv} from './config/limits';
import {clientAddress, trustedProxyHeaders} from './http/client-address';
import {sitePath} from './http/site-path';
import {createHttpServer, httpLimitsFromEnv, registeredRoutes} from './http/server';
import {serveWebapp} from './http/webapp';
import {newId} from './ids';
import {registerConnectivityRoutes} from './connectivity/routes';
import {registerBotRoutes} from './jobs/bot-api';
import {startRecording} from './jobs/start-recording';
import {rtcdClientSettings} from './rtcd/client/coordination';
import {CallsMetrics} from './metrics';
import {instrumentRepository} from './metrics/store';
import {silentLogger} from './log';
import {platformFromEnv} from './platform/select';
import {PLUGIN_WEBSOCKET_PATH} from './protocol';
import type {Platform} from './platform/types';
import {openStore, type Store} from './store';
import {Hub} from './ws/hub';
import {WsServer} from './ws/server';
import {routeUpgrades} from './ws/upgrade';

export const SERVER_VERSION = '11.0.0';

export type {App, AppOptions, RtcServerFactory} from './app-types';

const REPO_ROOT = path.resolve(__dirname, '../..');

export async function createApp(opts: AppOptions): Promise<App> {
  const logger = opts.logger ?? silentLogger();
  const log = logger.child({module: 'app'});
  const clock = opts.clock ?? systemClock;
  const env = opts.env ?? process.env;
  const cleanups: (() => Promise<void>)[] = [];
  const undo = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  };

  try {
    const metrics = opts.metrics ?? new CallsMetrics();
    // Cluster settings are checked before anything opens: several nodes cannot share SQLite.
    const clusterSettings = clusterSettingsFromEnv(env);
    checkClusterEngine(clusterSettings, opts.databaseURL ? 'postgres' : 'sqlite');
    const limits = limitsFromEnv(env);
    const groupCallsAllowed = groupCallsAllowedByEnv(env);
    const rawStore = await openStore({
      dataDir: opts.dataDir,
      databaseURL: opts.databaseURL,
      logger,
      extraMigrations: [clusterMigrations],
    });
    cleanups.push(() => rawStore.close());
    const store: Store = {
      ...rawStore,
      close: () => rawStore.close(),
      calls: instrumentRepository(rawStore.calls, metrics),
    };

    const config = new ConfigService(store.kv, env);
    await config.load();

    const adminConfig = {
      get: () => adminConfigView(config),
      save: (v: Record<string, unknown>) => saveAdminConfig(config, v),
    };
    const createPlatform = opts.platform ?? platformFromEnv(env);
    let platformRef: Platform | null = null;
    const hub = new Hub({logger, channelMemberIDs: (id) => platformRef!.getChannelMemberIDs(id)});
    const port = opts.port ?? 8065;
    const host = opts.host ?? '0.0.0.0';
    const trustedHeaders = trustedProxyHeaders(env.MM_CALLS_TRUSTED_PROXY_IP_HEADER);
    // A site URL with a path (http://host/chat): every route is served under it, as Mattermost does.
    const basePath = sitePath(opts.siteURL);
    const http = createHttpServer({
      logger,
      limits: {...httpLimitsFromEnv(env), ...opts.httpLimits},
      sitePath: basePath,
    });
    cleanups.push(() => http.close());

    // The site URL depends on the bound port when it is ephemeral; resolve it lazily.
    let siteURL = opts.siteURL ?? '';
    const chat = await createPlatform({
      store,
      clock,
      logger,
      events: hub,
      siteURL: () => siteURL,
      env,
      dataDir: opts.dataDir,
      seed: opts.seed !== false,
      seedPassword: opts.seedPassword,
      loginGuard: opts.loginGuard,
      adminConfig,
    });
    const platform = (platformRef = chat.platform);
    if (chat.close) cleanups.push(() => chat.close!());

    // A single node keeps its id in its data directory, to recognise its own calls after a restart.
    const nodeID = opts.nodeID ?? (store.engine === 'sqlite' ? persistentNodeID(opts.dataDir, logger) : newId());
    const peers = new PeerSettings(config, (ev) => hub.deliverLocal(ev), log);
    const coordination = await createCoordination({
      nodeID,
      settings: clusterSettings,
      store,
      databaseURL: opts.databaseURL,
      logger,
      hub: {get: (connID) => hub.get(connID), deliverLocal: (ev) => void peers.fromPeer(ev)},
      rtc: () => opts.rtc(config.get(), logger, metrics.rtc),
      orphanGraceMs: opts.timings?.reconnectGraceMs ?? DEFAULT_TIMINGS.reconnectGraceMs,
      rtcd: rtcdClientSettings(config.get().RTCDServiceURL, env),
      rtcdResolve4: opts.rtcdResolve4,
      observer: {
        waited: (s) => metrics.clusterMutexGrabTime.observe({group: 'mutex_call'}, s),
        held: (s) => metrics.clusterMutexLockedTime.observe({group: 'mutex_call'}, s),
        busMessage: (direction, type) => {
          metrics.clusterBusMessages.inc({direction, type});
          if (direction === 'in') metrics.clusterEvents.inc({type});
        },
      },
    });
    cleanups.push(() => coordination.close());
    const rtc = coordination.rtc;
    hub.relay = coordination.relay;

    const publisher = new CallsPublisher(hub);
    // The recorder reaches this server on loopback, whatever the public site URL is.
    let loopbackURL = '';
    const recording = await startRecording({
      runnerContext: {
        config: config.get(),
        dataDir: opts.dataDir,
        siteURL: () => loopbackURL,
        logger,
        env,
        recorderCommand: opts.recorderCommand,
        store,
        nodeID,
        lock: coordination.lock,
      },
      jobRunner: opts.jobRunner,
      store,
      platform,
      config,
      lock: coordination.lock,
      publisher,
      clock,
      logger,
      env,
      siteURL: () => siteURL,
      loopbackURL: () => loopbackURL,
      onClose: (fn) => cleanups.push(fn),
    });
    // eslint-disable-next-line prefer-const
    let ws: WsServer;
    const calls = new CallsService({
      store,
      platform,
      config,
      media: coordination.media,
      lock: coordination.lock,
      publisher,
      clock,
      logger,
      isConnOpen: (id) => ws.isOpen(id),
      timings: opts.timings,
      jobs: recording ?? undefined,
      joinLimits: limits,
      groupCallsAllowed,
      onICEPairMetric: (m) => metrics.clientICECandidatePairs.inc(m),
    });
    await calls.resumeAtStart();
    await recording?.resumeAtStart();

    ws = new WsServer({
      hub,
      logger,
      // The plugin's path everywhere, so the recorder (and later the webapp inside Mattermost) needs one URL.
      paths: [...new Set([chat.websocketPath, PLUGIN_WEBSOCKET_PATH])],
      serverVersion: SERVER_VERSION,
      rateLimit: opts.wsRateLimit,
      authRecheckMs: opts.wsAuthRecheckMs,
      limits,
      trustedProxyHeaders: trustedHeaders,
      handlers: {
        authenticateToken: (t) => platform.authenticateToken(t),
        onCallsAction: (conn, action, data) => calls.handleAction(conn, action, data),
        onDisconnect: (connID) => calls.handleDisconnect(connID),
        onAuthRevoked: (connID) => calls.handleAuthRevoked(connID),
        onEvent: (direction, type) => metrics.wsEvents.inc({direction, type}),
        onConnectionCount: (n) => metrics.wsConnections.set(n),
      },
    });
    cleanups.push(() => ws.close());
    // Open tabs learn of saved settings (test mode, screen sharing, …) without a reload: they refetch GET /config.
    const announceConfig = () => {
      if (!peers.reloading) publisher.toAll('config_changed', {});
    };
    config.on('change', announceConfig);
    cleanups.push(async () => void config.off('change', announceConfig));
    routeUpgrades(http.server, ws, {siteURL: () => siteURL, basePath, log});

    const build = env.MM_CALLS_BUILD ?? 'dev';
    await registerPluginRoutes(http, {
      calls,
      platform,
      config,
      store,
      publisher,
      build,
      rateLimit: opts.rateLimit,
      metrics,
      groupCallsAllowed,
      recording: recording ?? undefined,
    });
    const connectivity = registerConnectivityRoutes(http, {
      prefix: `/plugins/${PLUGIN_ID}`,
      platform,
      config: () => config.get(),
      rtc: () => rtc,
      logger,
    });
    cleanups.push(async () => connectivity.close());
    if (recording) {
      await registerBotRoutes(http, `/plugins/${PLUGIN_ID}/bot`, {platform, store, calls, recording, logger});
    }
    // Usage gauges: at start and hourly, as upstream.
    const refreshStats = () =>
      store.calls
        .getStats(async (id) => (await platform.getChannel(id))?.type)
        .then(
          (s) => metrics.setStats(s),
          (err) => log.warn({err: (err as Error).message}, 'refreshing usage metrics failed'),
        );
    void refreshStats();
    const statsTimer = setInterval(() => void refreshStats(), 3600_000);
    statsTimer.unref();
    cleanups.push(async () => clearInterval(statsTimer));
    await chat.registerRoutes(http, {
      serverVersion: SERVER_VERSION,
      adminConfig,
      executeCallCommand: (uid, ch, team, command) =>
        executeCallCommand(platform, uid, ch, team, command, recording ?? undefined),
      pluginWebapp: {id: PLUGIN_ID, version: PLUGIN_VERSION, bundlePath: `/static/plugins/${PLUGIN_ID}/main.js`},
      clientAddress: (req) => clientAddress(req, trustedHeaders),
    });
    serveWebapp(http, opts.webappDist ?? path.join(REPO_ROOT, 'webapp/dist'), basePath);

    // A deep accept queue: under a connection flood a client waits its turn instead of losing its SYN (1–3 s retries).
    await http.listen({host, port, backlog: 4096});
    const addr = http.server.address();
    const boundPort = typeof addr === 'object' && addr ? addr.port : port;
    if (!siteURL) siteURL = `http://localhost:${boundPort}`;
    const loopHost = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : host;
    loopbackURL = `http://${loopHost.includes(':') && !loopHost.startsWith('[') ? `[${loopHost}]` : loopHost}:${boundPort}${basePath}`;
    const url = `http://${host === '0.0.0.0' || host === '::' ? 'localhost' : host}:${boundPort}`;
    log.info({url, store: store.engine, nodeID, mode: coordination.mode}, 'server listening');

    let closing: Promise<void> | null = null;
    const app: App = {
      url,
      port: boundPort,
      store,
      config,
      calls,
      rtc,
      hub,
      ws,
      platform,
      http,
      routes: registeredRoutes(http),
      seed: chat.seed,
      coordination,
      metrics,
      recording,
      close() {
        closing ??= (async () => {
          await calls
            .shutdown()
            .catch((err) => log.error({err: (err as Error).message}, 'ending calls at shutdown failed'));
          await hub.flush();
          await undo();
          log.info('server stopped');
        })();
        return closing;
      },
    };
    return app;
  } catch (err) {
    await undo();
    throw err;
  }
}
