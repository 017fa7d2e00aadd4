// The message box: slash commands go through the plugins' registerSlashCommandWillBePostedHook hooks and then to
// /api/v4/commands/execute; anything else becomes a post. While a slash command is typed, the server's autocomplete
// suggestions (its subcommands) are listed above the box: arrows move, Tab or Enter or a click completes.
import React, {useEffect, useState} from 'react';

import {Api, type CommandSuggestion} from '../api';
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

/** What the server suggests for a slash command being typed (its first word and the start of the second). */
function useCommandSuggestions(text: string, teamID: string): CommandSuggestion[] {
  const [list, setList] = useState<CommandSuggestion[]>([]);
  useEffect(() => {
    if (!/^\/\S*(\s+\S*)?$/.test(text)) {
      setList([]);
      return undefined;
    }
    let live = true;
    Api.commandSuggestions(teamID, text).then(
      (l) => live && setList(Array.isArray(l) ? l : []),
      () => live && setList([]),
    );
    return () => {
      live = false;
    };
  }, [text, teamID]);
  return list;
}

/** The channel's message box, or a thread's reply box when rootID is given. */
export function MessageBox({channel, rootID = ''}: {channel: ChannelInfo; rootID?: string}) {
  const [text, setText] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const [picked, setPicked] = useState(0);
  const teamID = channel.team_id || store.getState().entities.teams.currentTeamId;
  const all = useCommandSuggestions(text, teamID);
  // Nothing left to suggest once the text is a complete subcommand.
  const suggestions = all.filter((s) => `/${s.Complete}` !== text.trim() || all.length > 1);
  const listID = `${rootID ? 'reply' : 'post'}_suggestion_list`;
  const complete = (s: CommandSuggestion) => {
    setText(`/${s.Complete} `);
    setPicked(0);
  };
  const submit = async () => {
    const msg = text.trim();
    if (!msg || busy) {
      return;
    }
    setBusy(true);
    setError('');
    try {
      if (msg.startsWith('/')) {
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
  const open = suggestions.length > 0;
  const current = open ? suggestions[Math.min(picked, suggestions.length - 1)] : null;
  return (
    <div className="sa-box">
      {open && (
        <ul className="sa-suggestions" id={listID} role="listbox" aria-label="Command suggestions">
          {suggestions.map((s) => (
            <li
              key={s.Complete}
              role="option"
              aria-selected={s === current}
              className={s === current ? 'sa-suggestion--selected' : undefined}
              onMouseDown={(e) => {
                e.preventDefault();
                complete(s);
              }}
            >
              <b>{`/${s.Complete}`}</b>
              {s.Hint && <span className="sa-suggestion-hint">{` ${s.Hint}`}</span>}
              <span className="sa-suggestion-desc">{s.Description}</span>
            </li>
          ))}
        </ul>
      )}
      <textarea
        id={rootID ? 'reply_textbox' : 'post_textbox'}
        aria-label={rootID ? 'Reply to thread' : `Write to ${channel.display_name || channel.name}`}
        placeholder={rootID ? 'Reply to thread…' : `Write to ${channel.display_name || channel.name}`}
        role={open ? 'combobox' : undefined}
        aria-expanded={open ? true : undefined}
        aria-controls={open ? listID : undefined}
        aria-autocomplete={open ? 'list' : undefined}
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          setPicked(0);
        }}
        onKeyDown={(e) => {
          if (current && (e.key === 'ArrowDown' || e.key === 'ArrowUp')) {
            e.preventDefault();
            const n = suggestions.length;
            setPicked((Math.min(picked, n - 1) + (e.key === 'ArrowDown' ? 1 : n - 1)) % n);
            return;
          }
          // Enter completes a partial subcommand; on a complete one (the only suggestion left) it sends.
          if (
            current &&
            (e.key === 'Tab' || (e.key === 'Enter' && !e.shiftKey && `/${current.Complete}` !== text.trim()))
          ) {
            e.preventDefault();
            complete(current);
            return;
          }
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
