// The channel list: public, private, direct and group messages, with the plugins' sidebar labels.
import React from 'react';
import {useSelector} from 'react-redux';

import {useRegistry} from '../registry';
import {navigate, siteHref} from '../router';
import {HostActions, store, type HostState} from '../store';
import type {ChannelInfo} from '../../types';

function channelPath(teamName: string, c: ChannelInfo): string {
  return `/${teamName}/channels/${c.name}`;
}

export function Sidebar({onLogout}: {onLogout: () => void}) {
  const reg = useRegistry();
  const channels = useSelector((s: HostState) => s.entities.channels.channels);
  const members = useSelector((s: HostState) => s.entities.channels.myMembers);
  const currentID = useSelector((s: HostState) => s.entities.channels.currentChannelId);
  const team = useSelector((s: HostState) => s.entities.teams.teams[s.entities.teams.currentTeamId]);
  const me = useSelector((s: HostState) => s.entities.users.profiles[s.entities.users.currentUserId]);
  const mine = Object.values(channels)
    .filter((c) => members[c.id] && !c.delete_at)
    .sort((a, b) => (a.display_name || a.name).localeCompare(b.display_name || b.name));
  const groups: Array<[string, ChannelInfo[]]> = [
    ['Public channels', mine.filter((c) => c.type === 'O')],
    ['Private channels', mine.filter((c) => c.type === 'P')],
    ['Direct messages', mine.filter((c) => c.type === 'D' || c.type === 'G')],
  ];
  const teamName = team?.name || '';
  return (
    <nav className="sa-sidebar" aria-label="Channels">
      <header>
        <span>{team?.display_name || 'Calls'}</span>
        <span className="sa-user">{me ? `@${me.username}` : ''}</span>
      </header>
      {groups.map(
        ([title, list]) =>
          list.length > 0 && (
            <div key={title}>
              <h5>{title}</h5>
              <ul>
                {list.map((c) => (
                  <li key={c.id}>
                    <a
                      id={`sidebarItem_${c.name}`}
                      href={siteHref(channelPath(teamName, c))}
                      className={c.id === currentID ? 'active' : ''}
                      aria-current={c.id === currentID ? 'page' : undefined}
                      onClick={(e) => {
                        e.preventDefault();
                        navigate(channelPath(teamName, c));
                      }}
                    >
                      <span aria-hidden="true">{c.type === 'P' ? '⊙' : c.type === 'O' ? '#' : '@'}</span>
                      <span>{c.display_name || c.name}</span>
                      {reg.sidebarLabels.map(({id, component: Label}) => (
                        <Label key={id} channel={c} />
                      ))}
                    </a>
                  </li>
                ))}
              </ul>
            </div>
          ),
      )}
      <footer>
        {me?.roles?.includes('system_admin') && (
          <a
            href={siteHref('/admin_console/plugins/com.mattermost.calls')}
            id="sidebar-admin-console"
            onClick={(e) => {
              e.preventDefault();
              navigate('/admin_console/plugins/com.mattermost.calls');
            }}
          >
            {'System Console › Calls'}
          </a>
        )}
        <button
          id="user-settings-button"
          onClick={() => store.dispatch({type: HostActions.OPEN_USER_SETTINGS, data: ''})}
        >
          {'Settings'}
        </button>
        <button id="logout" onClick={onLogout}>
          {'Log out'}
        </button>
      </footer>
    </nav>
  );
}
