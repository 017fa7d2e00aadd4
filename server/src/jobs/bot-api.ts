// The bot API the recorder calls back into (reference calls-protocol §4.3, rtcd-offloader §7.5), under
// /plugins/com.mattermost.calls/bot: only the Calls bot (Bearer token), not rate-limited; every path id is
// [a-z0-9]{26} and every body is validated before anything is written. JSON keys match case-insensitively,
// as Go's decoder does (the recorder sends JobID, FileIDs… and the error under the literal key `omitempty`).
import type {FastifyInstance, FastifyRequest} from 'fastify';
import {z} from 'zod';
import type {CallsService} from '../calls/service';
import {AppError, badRequest, forbidden, notFound} from '../errors';
import {parseBody, requireSession} from '../http/server';
import {isValidId} from '../ids';
import type {Logger} from '../log';
import type {Platform} from '../platform/types';
import type {Store} from '../store';
import {recordingFilename} from './filename';
import {type RecordingJobs, setCallPostRecording} from './recording-jobs';

export const RECORDING_POST_TYPE = 'custom_calls_recording';
/** Largest recording accepted (bytes). */
export const MAX_UPLOAD_FILE_SIZE = 16 * 1024 ** 3;
/** Largest body of one upload request (Mattermost's FileSettings.MaxFileSize default, 100 MB). */
export const MAX_UPLOAD_REQUEST_BYTES = 100 * 1024 * 1024;

export interface BotApiDeps {
  platform: Platform;
  store: Store;
  calls: CallsService;
  recording: RecordingJobs;
  logger: Logger;
}

const id = z.string().regex(/^[a-z0-9]{26}$/);

/** Go's encoding/json matches keys case-insensitively: fold every top-level key to lower case. */
function goKeys(body: unknown): unknown {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return body;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) {
    const lk = k.toLowerCase();
    if (!(lk in out)) out[lk] = v;
  }
  return out;
}

const statusSchema = z.object({
  jobtype: z.enum(['recording', 'transcribing']),
  status: z.enum(['started', 'failed']),
  omitempty: z.string().max(4096).optional(),
});
const uploadSchema = z.object({
  channel_id: id,
  filename: z
    .string()
    .min(1)
    .max(256)
    .refine((f) => !/[\\/]/.test(f) && ![...f].some((c) => c.charCodeAt(0) < 0x20), 'must be a plain file name'),
  file_size: z.number().int().min(1).max(MAX_UPLOAD_FILE_SIZE),
});
const recordingsSchema = z.object({
  jobid: id,
  postid: id,
  fileids: z.array(id).min(1).max(5),
});

function checkIds(params: Record<string, string>): void {
  for (const [k, v] of Object.entries(params)) {
    if (!isValidId(v)) throw badRequest('app.calls.bot.invalid_id', `invalid ${k}`);
  }
}

export async function registerBotRoutes(app: FastifyInstance, prefix: string, d: BotApiDeps): Promise<void> {
  const log = d.logger.child({module: 'bot-api'});

  /** The caller must be the Calls bot; anyone else gets 403 whatever the route. */
  async function bot(req: FastifyRequest): Promise<string> {
    const s = await requireSession(req, (t) => d.platform.authenticateToken(t));
    const botID = await d.platform.botUserID();
    if (s.userID !== botID) throw forbidden('app.calls.bot.forbidden', 'Forbidden');
    return botID;
  }

  type P<T extends string> = {Params: Record<T, string>};

  app.get<P<'channel_id'>>(`${prefix}/channels/:channel_id`, async (req) => {
    await bot(req);
    checkIds(req.params);
    const ch = await d.platform.getChannel(req.params.channel_id);
    if (!ch) throw notFound('app.channel.get.existing.app_error', 'Channel not found');
    return ch;
  });

  app.get<P<'user_id'>>(`${prefix}/users/:user_id/image`, async (req, reply) => {
    await bot(req);
    checkIds(req.params);
    const img = await d.platform.profileImage(req.params.user_id);
    if (!img) throw notFound('app.user.missing_account.const', 'User not found');
    return reply.type(img.contentType).send(img.data);
  });

  app.get<P<'channel_id' | 'session_id'>>(`${prefix}/calls/:channel_id/sessions/:session_id/profile`, async (req) => {
    await bot(req);
    checkIds(req.params);
    const call = await d.calls.getActiveCall(req.params.channel_id);
    if (!call) throw badRequest('app.calls.no_call_ongoing', 'no call ongoing');
    const session = await d.store.calls.getSession(req.params.session_id);
    if (!session || session.callId !== call.id) throw notFound('app.calls.bot.session_not_found', 'session not found');
    const user = await d.platform.getUser(session.userId);
    if (!user) throw notFound('app.user.missing_account.const', 'User not found');
    return {...user, email: ''};
  });

  app.get<P<'channel_id'>>(`${prefix}/calls/:channel_id/filename`, async (req) => {
    const botID = await bot(req);
    checkIds(req.params);
    const channel = await d.platform.getChannel(req.params.channel_id);
    if (!channel) throw notFound('app.channel.get.existing.app_error', 'Channel not found');
    const call = await d.calls.getActiveCall(channel.id);
    let members: Awaited<ReturnType<Platform['getUsers']>> = [];
    if (channel.type === 'D' || channel.type === 'G') {
      const ids = (await d.platform.getChannelMemberIDs(channel.id)).filter((u) => u !== botID);
      members = await d.platform.getUsers(ids.slice(0, 8));
    }
    return {filename: recordingFilename(channel, members, call?.startAt ?? Date.now())};
  });

  app.post<P<'channel_id' | 'job_id'>>(`${prefix}/calls/:channel_id/jobs/:job_id/status`, async (req) => {
    await bot(req);
    checkIds(req.params);
    const body = parseBody(statusSchema, goKeys(req.body));
    if (body.jobtype !== 'recording') throw badRequest('app.calls.bot.unsupported_job_type', 'unsupported job type');
    await d.recording.status(req.params.channel_id, req.params.job_id, body.status, body.omitempty ?? '');
    return {message: 'success', status_code: 200};
  });

  app.post(`${prefix}/uploads`, async (req) => {
    const botID = await bot(req);
    const body = parseBody(uploadSchema, req.body);
    if (!(await d.platform.getChannel(body.channel_id)))
      throw notFound('app.channel.get.existing.app_error', 'Channel not found');
    return d.platform.createUploadSession({...body, user_id: botID});
  });

  app.get<P<'upload_id'>>(`${prefix}/uploads/:upload_id`, async (req) => {
    const botID = await bot(req);
    checkIds(req.params);
    const s = await d.platform.getUploadSession(req.params.upload_id);
    if (!s || s.user_id !== botID) throw notFound('app.upload.get.app_error', 'upload not found');
    return s;
  });

  // Raw bytes: this scope reads the body itself, as a stream, whatever its content type.
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
    scope.post<P<'upload_id'>>(`${prefix}/uploads/:upload_id`, async (req, reply) => {
      const botID = await bot(req);
      checkIds(req.params);
      const s = await d.platform.getUploadSession(req.params.upload_id);
      if (!s || s.user_id !== botID) throw notFound('app.upload.get.app_error', 'upload not found');
      const declared = Number(req.headers['content-length'] ?? 0);
      if (declared > MAX_UPLOAD_REQUEST_BYTES)
        throw new AppError('api.context.request_body_too_large.app_error', 'request body too large', 413);
      const body = (req.body ?? req.raw) as AsyncIterable<Buffer>;
      const progress = await d.platform.appendUpload(s.id, capped(body, MAX_UPLOAD_REQUEST_BYTES));
      if (!progress.file) return reply.status(204).send();
      log.info({fileID: progress.file.id, size: progress.file.size, channelID: s.channel_id}, 'upload complete');
      return progress.file;
    });
  });

  app.post<P<'channel_id'>>(`${prefix}/calls/:channel_id/recordings`, async (req) => {
    const botID = await bot(req);
    checkIds(req.params);
    const body = parseBody(recordingsSchema, goKeys(req.body));
    const channelID = req.params.channel_id;
    const job = await d.store.calls.getJob(body.jobid);
    const call = job ? await d.store.calls.getCall(job.callId) : null;
    if (!job || job.type !== 'recording' || !call || call.channelId !== channelID || call.postId !== body.postid)
      throw badRequest('app.calls.bot.job_not_found', 'no such recording job in this call');
    for (const fid of body.fileids) {
      const f = await d.platform.getFileInfo(fid);
      if (!f || f.channel_id !== channelID || f.user_id !== botID || f.post_id)
        throw badRequest('app.calls.bot.invalid_file', 'invalid file id');
    }
    const title = call.title ? ` of ${call.title}` : '';
    const post = await d.platform.createPost({
      channel_id: channelID,
      user_id: botID,
      root_id: call.threadId || call.postId,
      message: `Here's the call recording${title}`,
      type: RECORDING_POST_TYPE,
      props: {recording_id: job.id, call_post_id: call.postId, from_bot: 'true'},
      file_ids: body.fileids,
    });
    await setCallPostRecording(d.platform, call.postId, job.id, {file_id: body.fileids[0], post_id: post.id}, log);
    log.info({jobID: job.id, postID: post.id, channelID}, 'recording posted');
    return post;
  });
}

/** Passes the bytes through, failing with 413 past `max` (a body without Content-Length). */
async function* capped(body: AsyncIterable<Buffer>, max: number): AsyncIterable<Buffer> {
  let n = 0;
  for await (const chunk of body) {
    n += chunk.length;
    if (n > max) throw new AppError('api.context.request_body_too_large.app_error', 'request body too large', 413);
    yield chunk;
  }
}
