// The message box: slash commands go through the plugins' registerSlashCommandWillBePostedHook hooks and then to
// /api/v4/commands/execute; anything else becomes a post.
import React, {useState} from 'react';

import {Api} from '../api';
import {getSlashHooks} from '../registry';
import {HostActions, store} from '../store';
import type {ChannelInfo, SlashCommandArgs} from '../../types';

let ephemeralSeq = 0;

function addEphemeral(channelID: string, message: string, rootID = '') {
  const now = Date.now();
  store.dispatch({
    type: HostActions.RECEIVED_POST,
    data: {
      id: `ephemeral-${++ephemeralSeq}`,
      create_at: now,
      update_at: now,
      edit_at: 0,
      delete_at: 0,
      user_id: '',
      channel_id: channelID,
      root_id: rootID,
      message,
      type: 'system_ephemeral',
      props: {},
    },
  });
}

export async function runSlashCommand(text: string, args: SlashCommandArgs): Promise<void> {
  let message = text;
  let cmdArgs = args;
  for (const hook of getSlashHooks()) {
    const res = await hook(message, cmdArgs);
    if ('error' in res && res.error) {
      throw new Error(res.error.message);
    }
    if (!('message' in res) || !res.message) {
      return;
    }
    message = res.message;
    cmdArgs = res.args;
  }
  const resp = await Api.executeCommand(message, cmdArgs.channel_id, cmdArgs.team_id, cmdArgs.root_id);
  if (resp?.text) {
    addEphemeral(cmdArgs.channel_id, resp.text, cmdArgs.root_id || '');
  }
}

/** The channel's message box, or a thread's reply box when rootID is given. */
export function MessageBox({channel, rootID = ''}: {channel: ChannelInfo; rootID?: string}) {
  const [text, setText] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async () => {
    const msg = text.trim();
    if (!msg || busy) {
      return;
    }
    setBusy(true);
    setError('');
    try {
      if (msg.startsWith('/')) {
        const teamID = channel.team_id || store.getState().entities.teams.currentTeamId;
        await runSlashCommand(msg, {channel_id: channel.id, team_id: teamID, root_id: rootID || undefined});
      } else {
        await Api.createPost(channel.id, msg, rootID);
      }
      setText('');
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="sa-box">
      <textarea
        id={rootID ? 'reply_textbox' : 'post_textbox'}
        aria-label={rootID ? 'Reply to thread' : `Write to ${channel.display_name || channel.name}`}
        placeholder={rootID ? 'Reply to thread…' : `Write to ${channel.display_name || channel.name}`}
        value={text}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && !e.shiftKey) {
            e.preventDefault();
            submit();
          }
        }}
      />
      {error && (
        <div className="sa-error" id={rootID ? 'replyCreateError' : 'postCreateError'} role="alert">
          {error}
        </div>
      )}
    </div>
  );
}
