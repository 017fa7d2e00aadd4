// Serves stored files as Mattermost does: GET /api/v4/files/{id} (the bytes, with Range support so a
// `<video>` can seek) and /api/v4/files/{id}/info, to the members of the file's channel only.
import type {FastifyInstance, FastifyRequest} from 'fastify';
import {AppError, badRequest, forbidden, notFound} from '../../errors';
import {parseRange} from '../../http/range';
import {isValidId} from '../../ids';
import type {FileInfo} from '../types';
import type {StandaloneDirectory} from './directory';

export function registerFileRoutes(
  app: FastifyInstance,
  dir: StandaloneDirectory,
  me: (req: FastifyRequest) => Promise<string>,
): void {
  /** The file, if the caller may read its channel; the same 404 whether it is missing or never existed. */
  async function readable(req: FastifyRequest<{Params: {id: string}}>): Promise<FileInfo> {
    const uid = await me(req);
    if (!isValidId(req.params.id)) throw badRequest('api.context.invalid_url_param.app_error', 'invalid file id');
    const info = await dir.getFileInfo(req.params.id);
    if (!info || info.delete_at > 0) throw notFound('app.file.get.app_error', 'file not found');
    if (!(await dir.hasChannelPermission(uid, info.channel_id, 'read_channel')))
      throw forbidden('api.context.permissions.app_error', 'You do not have the appropriate permissions.');
    return info;
  }

  app.get<{Params: {id: string}}>('/api/v4/files/:id/info', async (req) => readable(req));

  app.get<{Params: {id: string}}>('/api/v4/files/:id', async (req, reply) => {
    const info = await readable(req);
    const range = parseRange(req.headers.range, info.size);
    if (range === 'unsatisfiable') {
      void reply.header('Content-Range', `bytes */${info.size}`);
      throw new AppError('api.file.range_not_satisfiable', 'range not satisfiable', 416);
    }
    const safeName = info.name.replace(/[^\w.-]/g, '_');
    void reply
      .header('Accept-Ranges', 'bytes')
      .header('Content-Disposition', `inline; filename="${safeName}"`)
      .header('X-Content-Type-Options', 'nosniff')
      .header('Cache-Control', 'private, max-age=300')
      .type(info.mime_type);
    if (!range) return reply.header('Content-Length', info.size).send(await dir.readFile(info.id));
    return reply
      .status(206)
      .header('Content-Range', `bytes ${range.start}-${range.end}/${info.size}`)
      .header('Content-Length', range.end - range.start + 1)
      .send(await dir.readFile(info.id, range));
  });
}
