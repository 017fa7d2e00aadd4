// Serves files from a directory under a URL prefix: content type by extension, no directory listing,
// no path escaping the root, and revalidation by mtime. Enough for the built webapp.
import fs from 'node:fs';
import path from 'node:path';
import type {FastifyInstance, FastifyReply} from 'fastify';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'application/javascript; charset=utf-8',
  '.mjs': 'application/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.wav': 'audio/wav',
  '.mp3': 'audio/mpeg',
  '.txt': 'text/plain; charset=utf-8',
};

/** Longest relative path served; nothing the webapp build writes comes near it. */
const MAX_PATH = 512;

export function serveDirectory(http: FastifyInstance, prefix: string, root: string): void {
  const base = path.resolve(root);
  const notFound = (reply: FastifyReply) =>
    reply.status(404).send({id: 'api.context.404.app_error', message: 'Not found', status_code: 404});
  http.get(`${prefix}*`, async (req, reply) => {
    // The router has already percent-decoded the wildcard: decoding again would turn %25 into a URIError
    // (a 500) and %252e%252e into "..".
    const rel = (req.params as {'*': string})['*'] ?? '';
    if (rel.length > MAX_PATH || rel.includes('\0')) return notFound(reply);
    const file = path.resolve(base, rel);
    if (!file.startsWith(base + path.sep)) return notFound(reply);
    let stat: fs.Stats;
    try {
      stat = await fs.promises.stat(file);
    } catch {
      return notFound(reply);
    }
    if (!stat.isFile()) return notFound(reply);
    const lastModified = stat.mtime.toUTCString();
    if (req.headers['if-modified-since'] === lastModified) return reply.status(304).send();
    return reply
      .type(TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream')
      .header('Last-Modified', lastModified)
      .header('Cache-Control', 'no-cache')
      .send(fs.createReadStream(file));
  });
}
