// The plugin's HTTP calls to one rtcd host (reference §1.2, §4): to the host's IP, with the URL's host name
// in the Host header (and as the TLS server name), as upstream dials each resolved address of one name.
// Small bodies, short timeouts; what comes back is checked before use.
import http from 'node:http';
import https from 'node:https';
import {isIP} from 'node:net';
import type {RtcdCredentials} from './connection';

export interface RtcdHttpReply {
  status: number;
  body: string;
}

/**
 * One request to `ip` (null: the URL's host) for `baseURL`'s host; rejects on a network error or the timeout.
 * `ca`: the CAs an https URL's certificate must chain to (default: Node's).
 */
export function rtcdRequest(
  baseURL: string,
  ip: string | null,
  method: 'GET' | 'POST',
  path: string,
  opts: {body?: unknown; credentials?: RtcdCredentials; timeoutMs?: number; ca?: readonly string[]} = {},
): Promise<RtcdHttpReply> {
  const url = new URL(baseURL);
  const lib = url.protocol === 'https:' ? https : http;
  const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  const headers: Record<string, string> = {host: url.host};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (opts.credentials)
    headers.authorization = `Basic ${Buffer.from(`${opts.credentials.clientID}:${opts.credentials.authKey}`).toString('base64')}`;
  const prefix = url.pathname.replace(/\/$/, '');
  return new Promise((resolve, reject) => {
    const req = lib.request(
      {
        host: ip ?? url.hostname,
        port: url.port || (url.protocol === 'https:' ? 443 : 80),
        method,
        path: prefix + path,
        headers,
        // SNI takes names only; an IP in the URL is checked against the certificate's IP entries.
        ...(isIP(url.hostname) ? {} : {servername: url.hostname}),
        ...(opts.ca ? {ca: [...opts.ca]} : {}),
        timeout: opts.timeoutMs ?? 2000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
          if (text.length > 64 * 1024) req.destroy(new Error('rtcd reply too large'));
        });
        res.on('end', () => resolve({status: res.statusCode ?? 0, body: text}));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within the timeout`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** Whether `version` (rtcd's buildVersion) is at least `min`; dev builds ("", "master", "dev…") always are. */
export function versionAtLeast(version: string, min: string): boolean {
  if (version === '' || version === 'master' || version.startsWith('dev')) return true;
  const parse = (v: string) => /^v?(\d+)\.(\d+)\.(\d+)/.exec(v)?.slice(1).map(Number);
  const a = parse(version);
  const b = parse(min);
  if (!a || !b) return false;
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] > b[i];
  return true;
}
