// The host page's shell: login, then the channel layout or the admin page by URL, with the plugins' global
// and root components mounted once the session is loaded.
import React, {useCallback, useEffect, useState} from 'react';
import {useSelector} from 'react-redux';

import {AdminPage} from './AdminPage';
import {ChannelView} from './ChannelView';
import {Login} from './Login';
import {Rhs} from './Rhs';
import {SettingsModal} from './SettingsModal';
import {Sidebar} from './Sidebar';
import {Api} from '../api';
import {matchTeamRoute, useRegistry} from '../registry';
import {navigate, siteHref, sitePathname, usePathname} from '../router';
import {connectMainWebSocket, loadDirectory, loadPlugins, onConnectionChange} from '../session';
import type {HostState} from '../store';
import {RestError} from '../../client/rest';

type Phase = 'loading' | 'login' | 'ready' | 'error';

function Globals() {
  const reg = useRegistry();
  return (
    <>
      {reg.globals.map(({id, component: C}) => (
        <C key={id} />
      ))}
      {reg.roots.map(({id, component: C}) => (
        <C key={id} />
      ))}
      <SettingsModal />
    </>
  );
}

function ChannelRoute({teamName, channelName}: {teamName: string; channelName: string}) {
  const channel = useSelector((s: HostState) => {
    const all = Object.values(s.entities.channels.channels);
    return all.find((c) => (c.name === channelName || c.id === channelName) && s.entities.channels.myMembers[c.id]);
  });
  const team = useSelector((s: HostState) => s.entities.teams.teams[s.entities.teams.currentTeamId]);
  useEffect(() => {
    if (team && teamName !== team.name) {
      navigate(`/${team.name}/channels/${channelName}`, true);
    }
  }, [team, teamName, channelName]);
  if (!channel) {
    return (
      <div className="sa-main sa-center" id="channel-not-found">
        <p>{'Channel not found, or you are not a member of it.'}</p>
      </div>
    );
  }
  return <ChannelView channel={channel} />;
}

/**
 * A plugin's full-page route (/{team}/{pluginId}/…, e.g. the calls pop-out window): no sidebar or channel view, only
 * the plugin's component and the right-hand side. Until the plugin has registered the route the page waits.
 */
function PluginRoute({path}: {path: string}) {
  const reg = useRegistry();
  const route = matchTeamRoute(reg, path);
  return (
    <div className="sa-layout sa-plugin-route" id="plugin-route">
      <div style={{flex: 1, display: 'flex', flexDirection: 'column', minWidth: 0, position: 'relative'}}>
        {route ? <route.component /> : <div className="sa-center">{'Loading…'}</div>}
      </div>
      <Rhs />
      <Globals />
    </div>
  );
}

/** /{team}/{segment}/… where segment is not a core route (channels, messages) may be a plugin route. */
function isPluginPath(path: string): boolean {
  const m = /^\/[^/]+\/([^/]+)\//.exec(path);
  return Boolean(m && m[1] !== 'channels' && m[1] !== 'messages' && m[1].includes('.'));
}

function Layout({onLogout}: {onLogout: () => void}) {
  const path = usePathname();
  const team = useSelector((s: HostState) => s.entities.teams.teams[s.entities.teams.currentTeamId]);
  const isAdmin = useSelector((s: HostState) =>
    s.entities.users.profiles[s.entities.users.currentUserId]?.roles?.includes('system_admin'),
  );
  const [connected, setConnected] = useState(true);
  useEffect(() => onConnectionChange(setConnected), []);

  const pluginPath = isPluginPath(path);
  const m = /^\/([^/]+)\/channels\/([^/?]+)/.exec(path);
  let body: React.ReactNode;
  if (path.startsWith('/admin_console')) {
    body = isAdmin ? (
      <AdminPage />
    ) : (
      <div className="sa-main sa-center">
        <p>{'Only system admins can open the System Console.'}</p>
      </div>
    );
  } else if (m) {
    body = <ChannelRoute teamName={decodeURIComponent(m[1])} channelName={decodeURIComponent(m[2])} />;
  } else {
    body = null;
  }
  useEffect(() => {
    if (!m && !pluginPath && !path.startsWith('/admin_console') && team) {
      navigate(`/${team.name}/channels/town-square`, true);
    }
  }, [m, pluginPath, path, team]);
  if (pluginPath) {
    return <PluginRoute path={path} />;
  }
  return (
    <div className="sa-layout">
      <Sidebar onLogout={onLogout} />
      <div style={{flex: 1, display: 'flex', flexDirection: 'column', minWidth: 0}}>
        {!connected && (
          <div className="sa-banner" role="status">
            {'Connection lost. Reconnecting…'}
          </div>
        )}
        {body}
      </div>
      <Rhs />
      <Globals />
    </div>
  );
}

export function App() {
  const [phase, setPhase] = useState<Phase>('loading');
  const [error, setError] = useState('');

  const start = useCallback(async () => {
    try {
      await loadDirectory();
    } catch (err) {
      if (err instanceof RestError && err.status === 401) {
        setPhase('login');
        if (!sitePathname().startsWith('/login')) {
          navigate(`/login?redirect_to=${encodeURIComponent(sitePathname() + window.location.search)}`, true);
        }
        return;
      }
      setError((err as Error).message);
      setPhase('error');
      return;
    }
    connectMainWebSocket();
    setPhase('ready');
    const redirect = new URLSearchParams(window.location.search).get('redirect_to');
    if (sitePathname().startsWith('/login')) {
      navigate(redirect && redirect.startsWith('/') && !redirect.startsWith('/login') ? redirect : '/', true);
    }
    await loadPlugins().catch((err) => console.error('loading plugins failed', err));
  }, []);

  useEffect(() => {
    start();
  }, [start]);

  const logout = useCallback(async () => {
    await Api.logout().catch(() => undefined);
    window.location.assign(siteHref('/login'));
  }, []);

  switch (phase) {
    case 'loading':
      return <div className="sa-center">{'Loading…'}</div>;
    case 'login':
      return (
        <Login
          onLoggedIn={() => {
            setPhase('loading');
            start();
          }}
        />
      );
    case 'error':
      return <div className="sa-center sa-error">{error}</div>;
    default:
      return <Layout onLogout={logout} />;
  }
}
