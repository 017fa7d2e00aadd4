// Standalone file storage (recordings): resumable uploads written under <dataDir>/files, and the stored
// files with their FileInfo rows. A file becomes visible only once its last byte is on disk (fsync, rename,
// then the row), so a crash mid-upload never presents a half file; the upload resumes from its saved offset.
import fs from 'node:fs';
import path from 'node:path';
import type {Kysely, Selectable} from 'kysely';
import type {Clock} from '../../clock';
import {AppError, badRequest, notFound} from '../../errors';
import {newId} from '../../ids';
import type {Database} from '../../store';
import type {StandaloneFilesTable, StandaloneUploadsTable} from '../../store/schema';
import type {FileInfo, NewUploadSession, UploadProgress, UploadSession} from '../types';

const MIME: Record<string, string> = {
  mp4: 'video/mp4',
  webm: 'video/webm',
  vtt: 'text/vtt',
  txt: 'text/plain',
  json: 'application/json',
  png: 'image/png',
  jpg: 'image/jpeg',
};

function toUpload(r: Selectable<StandaloneUploadsTable>): UploadSession {
  return {
    id: r.id,
    type: 'attachment',
    create_at: Number(r.create_at),
    user_id: r.user_id,
    channel_id: r.channel_id,
    filename: r.filename,
    file_size: Number(r.file_size),
    file_offset: Number(r.file_offset),
  };
}

function toFileInfo(r: Selectable<StandaloneFilesTable>): FileInfo {
  return {
    id: r.id,
    user_id: r.user_id,
    channel_id: r.channel_id,
    post_id: r.post_id,
    name: r.name,
    extension: r.extension,
    size: Number(r.size),
    mime_type: r.mime_type,
    create_at: Number(r.create_at),
    update_at: Number(r.update_at),
    delete_at: Number(r.delete_at),
  };
}

export class StandaloneFiles {
  readonly #db: Kysely<Database>;
  readonly #clock: Clock;
  readonly #dir: string;
  /** Uploads being appended to right now: a second concurrent append is refused. */
  readonly #busy = new Set<string>();

  constructor(db: Kysely<Database>, clock: Clock, dataDir: string) {
    this.#db = db;
    this.#clock = clock;
    this.#dir = path.join(dataDir, 'files');
  }

  #partPath(id: string): string {
    return path.join(this.#dir, 'uploads', `${id}.part`);
  }

  #filePath(id: string): string {
    return path.join(this.#dir, id);
  }

  async createUploadSession(s: NewUploadSession): Promise<UploadSession> {
    const row = {
      id: newId(),
      user_id: s.user_id,
      channel_id: s.channel_id,
      filename: s.filename,
      file_size: s.file_size,
      file_offset: 0,
      create_at: this.#clock.now(),
    };
    await this.#db.insertInto('standalone_uploads').values(row).execute();
    return toUpload(row);
  }

  async getUploadSession(id: string): Promise<UploadSession | null> {
    const r = await this.#db.selectFrom('standalone_uploads').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toUpload(r) : null;
  }

  async appendUpload(id: string, data: AsyncIterable<Buffer>): Promise<UploadProgress> {
    if (this.#busy.has(id)) throw new AppError('app.upload.busy', 'another request is appending to this upload', 409);
    this.#busy.add(id);
    try {
      const session = await this.getUploadSession(id);
      if (!session) throw notFound('app.upload.get.app_error', 'upload not found');
      const room = session.file_size - session.file_offset;
      const part = this.#partPath(id);
      await fs.promises.mkdir(path.dirname(part), {recursive: true});
      // The row's offset is the truth: bytes past it (a request cut short, a crash) are overwritten.
      const fh = await fs.promises.open(part, fs.existsSync(part) ? 'r+' : 'w+');
      let written = 0;
      try {
        for await (const chunk of data) {
          if (written + chunk.length > room) {
            throw badRequest('app.upload.too_large', `the data exceeds the upload's remaining ${room} bytes`);
          }
          await fh.write(chunk, 0, chunk.length, session.file_offset + written);
          written += chunk.length;
        }
        await fh.sync();
      } finally {
        await fh.close();
      }
      session.file_offset += written;
      if (session.file_offset < session.file_size) {
        await this.#db
          .updateTable('standalone_uploads')
          .set({file_offset: session.file_offset})
          .where('id', '=', id)
          .execute();
        return {session, file: null};
      }
      return {session, file: await this.#complete(session)};
    } finally {
      this.#busy.delete(id);
    }
  }

  /** The last byte arrived: the part becomes the file (renamed after fsync), then its row, then the upload goes. */
  async #complete(session: UploadSession): Promise<FileInfo> {
    const fileID = newId();
    const part = this.#partPath(session.id);
    await fs.promises.truncate(part, session.file_size);
    await fs.promises.rename(part, this.#filePath(fileID));
    const ext = path.extname(session.filename).slice(1).toLowerCase().slice(0, 64);
    const now = this.#clock.now();
    const row = {
      id: fileID,
      user_id: session.user_id,
      channel_id: session.channel_id,
      post_id: '',
      name: session.filename,
      extension: ext,
      size: session.file_size,
      mime_type: MIME[ext] ?? 'application/octet-stream',
      create_at: now,
      update_at: now,
      delete_at: 0,
    };
    await this.#db.transaction().execute(async (tx) => {
      await tx.insertInto('standalone_files').values(row).execute();
      await tx.deleteFrom('standalone_uploads').where('id', '=', session.id).execute();
    });
    return toFileInfo(row);
  }

  async getFileInfo(id: string): Promise<FileInfo | null> {
    const r = await this.#db.selectFrom('standalone_files').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toFileInfo(r) : null;
  }

  async attachFiles(fileIDs: string[], postID: string): Promise<void> {
    if (fileIDs.length === 0) return;
    await this.#db
      .updateTable('standalone_files')
      .set({post_id: postID, update_at: this.#clock.now()})
      .where('id', 'in', fileIDs)
      .where('post_id', '=', '')
      .execute();
  }

  async readFile(id: string, range?: {start: number; end: number}): Promise<NodeJS.ReadableStream> {
    const info = await this.getFileInfo(id);
    if (!info) throw notFound('app.file.get.app_error', 'file not found');
    return fs.createReadStream(this.#filePath(id), range ? {start: range.start, end: range.end} : {});
  }
}
