// The standalone /api/v4 system routes: the client config and license the webapp reads, the plugin bundle list,
// and the plugin's admin settings (GET/PUT /api/v4/config).
import type {FastifyInstance} from 'fastify';
import {z} from 'zod';
import {badRequest} from '../../errors';
import {parseBody} from '../../http/server';
import {STANDALONE_HOST_CONFIG_KEY} from '../../protocol';
import type {RouteContext} from './route-context';

const configSchema = z.object({
  PluginSettings: z.object({Plugins: z.record(z.string(), z.record(z.string(), z.unknown()))}),
});

export function registerSystemRoutes(app: FastifyInstance, c: RouteContext): void {
  const {d, dir, me} = c;
  const pluginID = d.pluginWebapp.id;

  app.get('/api/v4/config/client', async () => ({
    SiteURL: dir.siteURL(),
    Version: d.serverVersion,
    BuildNumber: d.serverVersion,
    DiagnosticId: '',
    EnableTesting: 'false',
    EnableDeveloper: 'false',
    SiteName: 'Calls',
    ExperimentalEnableDefaultChannelLeaveJoinMessages: 'false',
    // The webapp keeps the calls events on this page's main websocket (Mattermost's would not carry them).
    [STANDALONE_HOST_CONFIG_KEY]: 'true',
  }));

  app.get('/api/v4/license/client', async () => ({IsLicensed: 'true', SkuShortName: 'enterprise', Cloud: 'false'}));

  app.get('/api/v4/plugins/webapp', async () => [
    {id: pluginID, version: d.pluginWebapp.version, webapp: {bundle_path: d.pluginWebapp.bundlePath}},
  ]);

  app.get('/api/v4/config', async (req) => {
    await c.requireAdmin(await me(req));
    return {PluginSettings: {Plugins: {[pluginID]: d.adminConfig.get()}}};
  });

  app.put('/api/v4/config', async (req) => {
    await c.requireAdmin(await me(req));
    const body = parseBody(configSchema, req.body);
    const values = body.PluginSettings.Plugins[pluginID];
    if (!values) throw badRequest('app.calls.config.invalid', `missing PluginSettings.Plugins["${pluginID}"]`);
    return {PluginSettings: {Plugins: {[pluginID]: await d.adminConfig.save(values)}}};
  });
}
