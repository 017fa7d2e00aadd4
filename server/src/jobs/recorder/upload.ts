// Uploads a finished recording through the bot API: an upload session, the file's bytes in chunks (on 204
// the session is read back and sending resumes from its file_offset), then the recording post. The whole
// upload is retried (reference §8: 20 attempts, linear 5 s backoff) and resumes a session already created.
import fs from 'node:fs/promises';
import path from 'node:path';
import type {Logger} from '../../log';
import {withRetries, type BotAPI, type FileInfo, type UploadSession} from './bot-api';

export interface UploadOptions {
  api: BotAPI;
  log: Logger;
  file: string;
  callID: string;
  postID: string;
  recordingID: string;
  attempts?: number;
  backoffMs?: number;
  /** Bytes per POST (the server caps a request at its max file size). */
  chunkSize?: number;
}

const DEFAULT_CHUNK = 8 * 1024 * 1024;
/** A server that answers 204 without moving file_offset this many times in a row is not progressing. */
const MAX_STALLS = 3;

export async function uploadRecording(o: UploadOptions): Promise<FileInfo> {
  const size = (await fs.stat(o.file)).size;
  const chunkSize = o.chunkSize ?? DEFAULT_CHUNK;
  let session: UploadSession | undefined;
  let info: FileInfo | undefined;
  await withRetries(
    o.attempts ?? 20,
    o.backoffMs ?? 5000,
    async () => {
      if (!info) {
        session ??= await o.api.createUpload({
          channel_id: o.callID,
          filename: path.basename(o.file),
          file_size: size,
        });
        info = await sendFile(o, session.id, size, chunkSize);
      }
      await o.api.postRecording(o.callID, {JobID: o.recordingID, PostID: o.postID, FileIDs: [info.id]});
    },
    (err, attempt) => o.log.warn({err: String(err), attempt}, 'recording upload failed; retrying'),
  );
  return info!;
}

async function sendFile(o: UploadOptions, id: string, size: number, chunkSize: number): Promise<FileInfo> {
  const fh = await fs.open(o.file, 'r');
  try {
    // A retried attempt resumes where the server says it is.
    let offset = (await o.api.getUpload(id)).file_offset ?? 0;
    let stalls = 0;
    for (;;) {
      const len = Math.min(chunkSize, size - offset);
      const buf = Buffer.alloc(Math.max(0, len));
      if (len > 0) await fh.read(buf, 0, len, offset);
      const info = await o.api.uploadData(id, buf);
      if (info) return info;
      const next = (await o.api.getUpload(id)).file_offset;
      if (typeof next !== 'number' || next < 0 || next > size) throw new Error(`upload ${id}: bad file_offset`);
      stalls = next <= offset ? stalls + 1 : 0;
      if (stalls >= MAX_STALLS) throw new Error(`upload ${id}: the server does not take more data`);
      offset = next;
    }
  } finally {
    await fh.close();
  }
}
