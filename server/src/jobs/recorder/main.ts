// The recorder program (node build/recorder.mjs): the run sequence of reference rtcd-offloader §8 with a
// headless participant instead of a browser. Filename → join → ffmpeg → status `started`; then record until
// job_stop / call_end / SIGTERM / the websocket is gone / the parent's IPC channel closes; then finish the
// MP4, upload it and exit 0. A start failure reports status `failed` and exits 0; a stop or upload failure
// exits 1 (the file stays in DATA_DIR). Logs are pino JSON on stderr.
import fs from 'node:fs/promises';
import path from 'node:path';
import pino from 'pino';
import {BotAPI, withRetries} from './bot-api';
import {parseRecorderConfig, redactedConfig, type RecorderConfig} from './config';
import {sanitizeFilename} from './filename';
import {RecorderParticipant} from './participant';
import {RecordingPipeline} from './pipeline';
import {uploadRecording} from './upload';

const log = pino(
  {level: process.env.MM_CALLS_LOG_LEVEL ?? 'info', redact: ['token', '*.token', 'authToken']},
  pino.destination(2),
);

/** Display names for the slate, best effort: the platform's users API with the bot's token. */
async function lookUpNames(cfg: RecorderConfig, participant: RecorderParticipant): Promise<boolean> {
  let changed = false;
  for (const id of participant.roster.userIDs) {
    if (participant.roster.hasName(id) || !/^[a-z0-9]{26}$/.test(id)) continue;
    let name = '';
    try {
      const res = await fetch(`${cfg.siteURL}/api/v4/users/${id}`, {
        headers: {Authorization: `Bearer ${cfg.authToken}`},
        signal: AbortSignal.timeout(5000),
      });
      if (res.ok) {
        const u = (await res.json()) as {username?: string; first_name?: string; last_name?: string; nickname?: string};
        name = [u.first_name, u.last_name].filter(Boolean).join(' ') || u.nickname || u.username || '';
      }
    } catch {
      // No users API: the slate shows a short id.
    }
    participant.roster.setName(id, name || `user ${id.slice(0, 8)}`);
    changed = true;
  }
  return changed;
}

async function run(): Promise<number> {
  let cfg: RecorderConfig;
  try {
    cfg = parseRecorderConfig(process.env);
  } catch (err) {
    // Without a valid config there is no bot API to report to.
    log.fatal({err: (err as Error).message}, 'invalid recorder configuration');
    return 1;
  }
  log.info({config: redactedConfig(cfg)}, 'recorder starting');
  const api = new BotAPI(cfg.siteURL, cfg.authToken);
  const workDir = path.join(cfg.dataDir, cfg.recordingID);

  let stopRequested: (reason: string) => void = () => undefined;
  const stopped = new Promise<string>((resolve) => (stopRequested = resolve));
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => stopRequested(sig));
  // Run by the server in-process runner with an IPC channel: the parent going away is a stop.
  if (process.send) process.on('disconnect', () => stopRequested('parent disconnected'));

  let participant: RecorderParticipant | undefined;
  let pipeline: RecordingPipeline | undefined;
  try {
    const filename = sanitizeFilename(await api.filename(cfg.callID));
    const outputPath = path.join(workDir, filename);
    const title = await api
      .channel(cfg.callID)
      .then((c) => c.display_name || c.name || 'Call')
      .catch(() => 'Call');
    participant = new RecorderParticipant({
      siteURL: cfg.siteURL,
      token: cfg.authToken,
      channelID: cfg.callID,
      jobID: cfg.recordingID,
      log,
    });
    participant.roster.title = title;
    participant.on('stop', (reason: string) => stopRequested(reason));
    await participant.join();
    await lookUpNames(cfg, participant);
    pipeline = new RecordingPipeline({
      log,
      workDir,
      outputPath,
      ffmpegPath: cfg.ffmpegPath,
      width: cfg.width,
      height: cfg.height,
      frameRate: cfg.frameRate,
      videoRate: cfg.videoRate,
      audioRate: cfg.audioRate,
      videoPreset: cfg.videoPreset,
    });
    await pipeline.start(participant.roster.slate());
    const p = pipeline;
    const part = participant;
    participant.on('roster', () => {
      p.updateSlate(part.roster.slate());
      void lookUpNames(cfg, part).then((changed) => changed && p.updateSlate(part.roster.slate()));
    });
    // Reported as soon as the file's clock runs, so the job's start_at is the recording's first second (the REC
    // badge's time and the file's length agree); that ffmpeg stays up is confirmed meanwhile, and if it does not,
    // the 'failed' below ends the job.
    const confirmed = p.confirmStarted();
    confirmed.catch(() => undefined);
    await withRetries(3, 2000, () => api.postStatus(cfg.callID, cfg.recordingID, 'started'));
    await participant.startMedia(pipeline);
    await confirmed;
    log.info({outputPath}, 'recording started');
  } catch (err) {
    const message = (err as Error).message;
    log.error({err: message}, 'recording failed to start');
    await pipeline?.stop().catch(() => undefined);
    await participant?.close().catch(() => undefined);
    await fs.rm(workDir, {recursive: true, force: true}).catch(() => undefined);
    await api
      .postStatus(cfg.callID, cfg.recordingID, 'failed', `failed to start recording: ${message}`)
      .catch((e: unknown) => log.error({err: String(e)}, 'could not report the failure'));
    return 0;
  }

  const reason = await stopped;
  log.info({reason}, 'stopping the recording');
  const result = await pipeline.stop();
  await participant.close().catch(() => undefined);
  if (!result.path) {
    log.error({code: result.code, signal: result.signal}, 'the recording could not be finished');
    return 1;
  }
  try {
    const info = await uploadRecording({
      api,
      log,
      file: result.path,
      callID: cfg.callID,
      postID: cfg.postID,
      recordingID: cfg.recordingID,
      attempts: cfg.uploadAttempts,
      backoffMs: cfg.uploadBackoffMs,
    });
    log.info({fileID: info.id}, 'recording uploaded');
  } catch (err) {
    log.error({err: String(err), file: result.path}, 'upload failed; the file is kept');
    return 1;
  }
  await fs.rm(workDir, {recursive: true, force: true});
  return 0;
}

run().then(
  (code) => {
    log.flush();
    process.exit(code);
  },
  (err: unknown) => {
    log.fatal({err: String(err)}, 'recorder crashed');
    process.exit(1);
  },
);
