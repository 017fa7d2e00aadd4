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

export async function executeCallCommand(
  platform: Platform,
  userID: string,
  channelID: string,
  teamID: string,
  command: string,
  recording?: RecordingCommands,
): Promise<CommandResponse> {
  const fields = command.trim().split(/\s+/);
  if (fields.length < 2) return ephemeral('Invalid number of arguments provided');
  const sub = fields[1];
  switch (sub) {
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
      return ephemeral(`Invalid subcommand: ${sub.slice(0, 64)}`);
  }
}
