// The recorder's HTTP client for the plugin's bot API (reference rtcd-offloader §7.5, REC_CONTRACT §3):
// Bearer AUTH_TOKEN under {SITE_URL}/plugins/com.mattermost.calls/bot. Errors carry the route and status,
// never the token.
import {PLUGIN_ID} from '../../protocol';

export interface UploadSession {
  id: string;
  channel_id: string;
  filename: string;
  file_size: number;
  file_offset: number;
}

export interface FileInfo {
  id: string;
  name?: string;
  size?: number;
  mime_type?: string;
}

export class BotAPIError extends Error {
  constructor(
    readonly route: string,
    readonly status: number,
    detail: string,
  ) {
    super(`${route}: ${status ? `HTTP ${status}` : 'request failed'}${detail ? `: ${detail}` : ''}`);
    this.name = 'BotAPIError';
  }
}

export class BotAPI {
  readonly #base: string;
  readonly #token: string;
  readonly #timeoutMs: number;

  constructor(siteURL: string, token: string, timeoutMs = 30_000) {
    this.#base = `${siteURL}/plugins/${PLUGIN_ID}/bot`;
    this.#token = token;
    this.#timeoutMs = timeoutMs;
  }

  async #request(
    method: string,
    route: string,
    body?: unknown,
    raw?: Buffer,
  ): Promise<{status: number; json: unknown}> {
    let res: Response;
    try {
      res = await fetch(this.#base + route, {
        method,
        headers: {
          Authorization: `Bearer ${this.#token}`,
          ...(body !== undefined ? {'Content-Type': 'application/json'} : {}),
          ...(raw ? {'Content-Type': 'application/octet-stream'} : {}),
        },
        body: raw ? new Uint8Array(raw) : body !== undefined ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (err) {
      throw new BotAPIError(`${method} ${route}`, 0, (err as Error).message);
    }
    const text = await res.text().catch(() => '');
    if (res.status >= 300) throw new BotAPIError(`${method} ${route}`, res.status, text.slice(0, 200));
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return {status: res.status, json};
  }

  async filename(callID: string): Promise<string> {
    const {json} = await this.#request('GET', `/calls/${callID}/filename`);
    const name = (json as {filename?: unknown} | undefined)?.filename;
    if (typeof name !== 'string' || !name) throw new BotAPIError(`GET /calls/${callID}/filename`, 200, 'no filename');
    return name;
  }

  async postStatus(callID: string, jobID: string, status: 'started' | 'failed', error?: string): Promise<void> {
    await this.#request('POST', `/calls/${callID}/jobs/${jobID}/status`, {
      JobType: 'recording',
      Status: status,
      ...(error ? {omitempty: error} : {}),
    });
  }

  async channel(channelID: string): Promise<{display_name?: string; name?: string; type?: string}> {
    const {json} = await this.#request('GET', `/channels/${channelID}`);
    return (json ?? {}) as {display_name?: string; name?: string; type?: string};
  }

  async createUpload(s: {channel_id: string; filename: string; file_size: number}): Promise<UploadSession> {
    const {json} = await this.#request('POST', '/uploads', s);
    return json as UploadSession;
  }

  async getUpload(id: string): Promise<UploadSession> {
    const {json} = await this.#request('GET', `/uploads/${id}`);
    return json as UploadSession;
  }

  /** Sends bytes of an upload: the FileInfo once complete (200), undefined while incomplete (204). */
  async uploadData(id: string, data: Buffer): Promise<FileInfo | undefined> {
    const {status, json} = await this.#request('POST', `/uploads/${id}`, undefined, data);
    return status === 204 ? undefined : (json as FileInfo);
  }

  async postRecording(callID: string, body: {JobID: string; PostID: string; FileIDs: string[]}): Promise<void> {
    await this.#request('POST', `/calls/${callID}/recordings`, body);
  }
}

/** Tries `fn` up to `attempts` times, waiting backoffMs × attempt between tries (upstream: 20 × 5 s). */
export async function withRetries<T>(
  attempts: number,
  backoffMs: number,
  fn: (attempt: number) => Promise<T>,
  onError?: (err: unknown, attempt: number) => void,
): Promise<T> {
  let last: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      last = err;
      onError?.(err, attempt);
      if (attempt < attempts) await new Promise((r) => setTimeout(r, backoffMs * attempt));
    }
  }
  throw last;
}
