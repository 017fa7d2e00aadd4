// Server side of the /call slash command (reference §10). The webapp handles most sub-commands
// itself and forwards only a few; these are the replies the server gives.
import {toAppError} from '../errors';
import type {Platform} from '../platform/types';

/** What `/call recording start|stop` drives (jobs/recording-jobs.ts), with the HTTP route's checks and errors. */
export interface RecordingCommands {
  start(userID: string, channelID: string): Promise<unknown>;
  stop(userID: string, channelID: string): Promise<unknown>;
}

export interface CommandResponse {
  response_type: 'ephemeral' | 'in_channel';
  text: string;
}

const ephemeral = (text: string): CommandResponse => ({response_type: 'ephemeral', text});

/** One /call subcommand as autocomplete and the usage text show it (Mattermost's AutocompleteData, flattened). */
export interface CallSubcommand {
  name: string;
  hint: string;
  help: string;
}

export const CALL_SUBCOMMANDS: readonly CallSubcommand[] = [
  {name: 'start', hint: '[title]', help: 'Start a call in the current channel'},
  {name: 'join', hint: '', help: 'Join the call in the current channel'},
  {name: 'leave', hint: '', help: 'Leave the current call'},
  {name: 'link', hint: '', help: 'Generate a link to join the call in the current channel'},
  {name: 'end', hint: '', help: 'End the call for everyone (hosts and admins)'},
  {name: 'recording', hint: 'start | stop', help: 'Start or stop recording the call (hosts)'},
  {name: 'stats', hint: '', help: 'Show the connection statistics of the current or last call'},
  {name: 'logs', hint: '', help: 'Send the client logs of the current or last call to yourself'},
  {name: 'help', hint: '', help: 'Show this list'},
];

export function callUsage(): string {
  const lines = CALL_SUBCOMMANDS.map((c) => `- \`/call ${c.name}${c.hint ? ' ' + c.hint : ''}\`: ${c.help}`);
  return ['Usage: `/call <subcommand>`, where the subcommand is one of:', ...lines].join('\n');
}

/** What to suggest for the text typed so far (`/call`, `/call re`, …): the subcommands that complete it. */
export function callSuggestions(
  userInput: string,
): Array<{Complete: string; Suggestion: string; Hint: string; Description: string}> {
  const m = /^\/call(?:\s+(\S*))?$/.exec(userInput.trimStart());
  if (!m) return [];
  const prefix = (m[1] ?? '').toLowerCase();
  return CALL_SUBCOMMANDS.filter((c) => c.name.startsWith(prefix)).map((c) => ({
    Complete: `call ${c.name}`,
    Suggestion: c.name,
    Hint: c.hint,
    Description: c.help,
  }));
}

export async function executeCallCommand(
  platform: Platform,
  userID: string,
  channelID: string,
  teamID: string,
  command: string,
  recording?: RecordingCommands,
): Promise<CommandResponse> {
  const fields = command.trim().split(/\s+/);
  if (fields.length < 2) return ephemeral(callUsage());
  const sub = fields[1];
  switch (sub) {
    case 'help':
      return ephemeral(callUsage());
    case 'start':
    case 'join':
    case 'leave':
    case 'end':
    case 'logs':
      return ephemeral('');
    case 'recording': {
      const action = fields[2];
      if (fields.length !== 3 || (action !== 'start' && action !== 'stop'))
        return ephemeral('Invalid number of arguments provided');
      if (!recording) return ephemeral('Error: Job service is not initialized');
      if (!(await platform.hasChannelPermission(userID, channelID, 'read_channel')))
        return ephemeral('Error: Forbidden');
      try {
        if (action === 'start') await recording.start(userID, channelID);
        else await recording.stop(userID, channelID);
        return ephemeral(action === 'start' ? 'Recording is starting.' : 'Recording has stopped.');
      } catch (err) {
        return ephemeral(`Error: ${toAppError(err).message}`);
      }
    }
    case 'link': {
      const team = teamID ? await platform.getTeam(teamID) : null;
      const teamName = team?.name ?? '';
      return ephemeral(`Call link: ${platform.siteURL()}/${teamName}/channels/${channelID}?join_call=true`);
    }
    case 'stats': {
      if (fields.length !== 3) return ephemeral('Invalid number of arguments provided');
      let decoded: string;
      try {
        decoded = Buffer.from(fields[2], 'base64').toString('utf8');
        const parsed: unknown = JSON.parse(decoded);
        if (typeof parsed !== 'object' || parsed === null || Object.keys(parsed).length === 0)
          return ephemeral('Error: empty stats');
        return ephemeral('```json\n' + JSON.stringify(parsed, null, 2) + '\n```');
      } catch {
        return ephemeral('Error: invalid stats data');
      }
    }
    default:
      void userID;
      return ephemeral(`Invalid subcommand: ${sub.slice(0, 64)}\n\n${callUsage()}`);
  }
}
