// The client side of `/call` (reference webapp.md §2.15, calls-protocol.md §10): start/join/leave/end/recording run here;
// link, host and anything else go on to the server. Failures show the generic error modal.

import {CallsDisabledError, endCallForEveryone, joinCall, leaveCall} from './call_flow';
import {getCallsClient} from './client/current';
import {getClientLogs} from './client/log';
import {Rest} from './client/rest';
import {loadLastStats, summarizeStats} from './client/rtc_stats';
import {showGenericError} from './state/actions';
import {isRecordingOn, recordingErrorMessage, recordingIn} from './state/recording';
import {
  callInChannel,
  callsConfig,
  canHostControl,
  currentUserId,
  getChannel,
  hostIDInChannel,
  isDMOrGM,
  sessionsInChannel,
} from './state/selectors';
import type {StoreLike} from './state/store_like';
import type {SlashCommandArgs, SlashCommandHookResult} from './types';

function fail(store: StoreLike, title: string, message: string): SlashCommandHookResult {
  showGenericError(store, title, message);
  return {};
}

export async function slashCommandWillBePosted(
  store: StoreLike,
  message: string,
  args: SlashCommandArgs,
): Promise<SlashCommandHookResult> {
  const fields = message.trim().split(/\s+/);
  if (fields[0] !== '/call') {
    return {message, args};
  }
  const sub = fields[1] || '';
  const state = store.getState();
  const channelID = args.channel_id;
  const hasCall =
    Boolean(callInChannel(state, channelID)) || Object.keys(sessionsInChannel(state, channelID)).length > 0;
  const client = getCallsClient();

  switch (sub) {
    case 'start':
    case 'join': {
      const title = sub === 'start' ? message.trim().split(/\s+/).slice(2).join(' ') : '';
      const titleKey = sub === 'start' ? 'Unable to start call' : 'Unable to join call';
      const channel = getChannel(state, channelID);
      if (channel && !isDMOrGM(channel) && !callsConfig(state).GroupCallsAllowed) {
        return fail(store, titleKey, 'Calls in channels are not allowed by your license.');
      }
      if (sub === 'start' && hasCall) {
        return fail(store, titleKey, 'A call is already ongoing in the channel.');
      }
      if (client && client.channelID === channelID) {
        return fail(store, titleKey, "You're already connected to a call in the current channel.");
      }
      try {
        await joinCall(store, channelID, {title: title || undefined, threadID: args.root_id || undefined});
      } catch (err) {
        if (err instanceof CallsDisabledError) {
          return fail(store, titleKey, 'Calls are disabled in this channel.');
        }
        return fail(store, titleKey, (err as Error).message);
      }
      return {};
    }
    case 'leave':
      if (client && client.channelID === channelID) {
        leaveCall();
        return {};
      }
      return fail(store, 'Unable to leave the call', "You're not connected to a call in the current channel.");
    case 'end':
      if (!hasCall) {
        return fail(store, 'Unable to end the call', "There's no ongoing call in the channel.");
      }
      if (!canHostControl(state, channelID)) {
        return fail(
          store,
          'Unable to end the call',
          "You don't have permission to end the call. Please ask the call host to end the call.",
        );
      }
      await endCallForEveryone(store, channelID);
      return {};
    case 'recording': {
      const act = fields[2] || '';
      if (act !== 'start' && act !== 'stop') {
        // The server answers a missing or unknown action.
        return {message, args};
      }
      const title = act === 'start' ? 'Unable to start recording' : 'Unable to stop recording';
      if (!client || client.channelID !== channelID) {
        return fail(store, title, "You're not connected to a call in the current channel.");
      }
      if (!callsConfig(state).EnableRecordings) {
        return fail(store, title, 'Recordings are not enabled on this server.');
      }
      if (hostIDInChannel(state, channelID) !== currentUserId(state)) {
        return fail(
          store,
          title,
          act === 'start'
            ? "You don't have permissions to start a recording. Please ask the call host to start a recording."
            : "You don't have permissions to stop the recording. Please ask the call host to stop the recording.",
        );
      }
      const on = isRecordingOn(recordingIn(state, channelID));
      if (act === 'start' && on) {
        return fail(store, title, 'A recording is already in progress.');
      }
      if (act === 'stop' && !on) {
        return fail(store, title, 'No recording is in progress.');
      }
      try {
        // The modal says why; the recording's state stays the server's.
        await Rest.recording(channelID, act);
      } catch (err) {
        return fail(store, title, recordingErrorMessage(err));
      }
      return {};
    }
    case 'stats': {
      // The live call's stats, or those kept when the last call ended.
      const report = client ? await client.getStats().catch(() => null) : null;
      const summary = report ? summarizeStats(report) : loadLastStats();
      if (!summary) {
        return fail(
          store,
          'Unable to get call stats',
          "You're not connected to a call, and no stats were kept from the last one.",
        );
      }
      const b64 = btoa(unescape(encodeURIComponent(JSON.stringify(summary))));
      return {message: `/call stats ${b64}`, args};
    }
    case 'logs': {
      const logs = getClientLogs();
      if (!logs) {
        return fail(store, 'Unable to upload logs', 'There are no call logs in this browser tab yet.');
      }
      try {
        await Rest.uploadLogs(logs, args.channel_id, args.team_id);
      } catch (err) {
        return fail(store, 'Unable to upload logs', (err as Error).message);
      }
      return {};
    }
    default:
      return {message, args};
  }
}
