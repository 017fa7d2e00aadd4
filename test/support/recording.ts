// A recording as its host drives it over the HTTP API, for the recorder tests and the recording bench: start and
// wait for start_at, stop and wait for end_at (call_job_state on the host's socket), then the recording post of the
// call's thread and its file.
import fs from 'node:fs';

import {api, type ServerEvent, type WsTestClient} from './calls-client';
import {waitFor} from './wait';

const P = '/plugins/com.mattermost.calls';

export interface JobState {
  init_at: number;
  start_at: number;
  end_at: number;
  err?: string;
}

export interface RecordingPost {
  id: string;
  type: string;
  root_id: string;
  file_ids: string[];
  props: Record<string, unknown>;
}

/** The job state of a call_job_state event (zeros when the event carries none). */
export function jobStateOf(e: ServerEvent): JobState {
  return (e.data as {jobState?: JobState}).jobState ?? {init_at: 0, start_at: 0, end_at: 0};
}

/** The host of a call, as the recording helpers act: its server, token, channel and websocket. */
export interface RecordingHost {
  url: string;
  token: string;
  channelID: string;
  ws: WsTestClient;
}

/** Asks the channel's recording to start or stop as the host; resolves with the job state `done` accepts. */
async function recordingRequest(
  h: RecordingHost,
  verb: 'start' | 'stop',
  done: (s: JobState) => boolean,
  timeoutMs: number,
): Promise<JobState> {
  const res = await api(h.url, h.token, 'POST', `${P}/calls/${h.channelID}/recording/${verb}`);
  if (res.status !== 200) throw new Error(`recording ${verb}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  return jobStateOf(await h.ws.waitFor('call_job_state', (e) => done(jobStateOf(e)), timeoutMs));
}

/** Starts the channel's recording as the host; resolves with the state once it has started, throws if it failed. */
export async function startRecording(h: RecordingHost, timeoutMs = 60_000): Promise<JobState> {
  const state = await recordingRequest(h, 'start', (s) => s.start_at > 0 || Boolean(s.err), timeoutMs);
  if (state.err) throw new Error(`the recording failed to start: ${state.err}`);
  return state;
}

/** Stops the channel's recording as the host; resolves with the state once it has ended (err included). */
export function stopRecording(h: RecordingHost, timeoutMs = 10_000): Promise<JobState> {
  return recordingRequest(h, 'stop', (s) => s.end_at > 0, timeoutMs);
}

/** The recording post in the call post's thread, once the recorder has uploaded its file. */
export async function recordingPost(
  url: string,
  token: string,
  callPostID: string,
  timeoutMs = 60_000,
): Promise<RecordingPost> {
  let post: RecordingPost | undefined;
  await waitFor(
    async () => {
      const res = await api(url, token, 'GET', `/api/v4/posts/${callPostID}/thread`);
      const posts = Object.values((res.body as {posts?: Record<string, RecordingPost>}).posts ?? {});
      post = posts.find((p) => p.type === 'custom_calls_recording' && p.file_ids?.length > 0);
      return Boolean(post);
    },
    timeoutMs,
    'the recording post',
    500,
  );
  return post!;
}

/** Downloads a file the user may read to `dest`. */
export async function downloadFile(url: string, token: string, fileID: string, dest: string): Promise<void> {
  const res = await fetch(`${url}/api/v4/files/${fileID}`, {headers: {Authorization: `Bearer ${token}`}});
  if (res.status !== 200) throw new Error(`fetching file ${fileID}: HTTP ${res.status}`);
  fs.writeFileSync(dest, Buffer.from(await res.arrayBuffer()));
}
