// TLS for the HTTP API (and rtcd's /ws) of our services, as upstream rtcd and calls-offloader serve it
// (reference rtcd-offloader §1.1): `api.http.tls.{enable,cert_file,cert_key}`, TLS 1.2 at least, the P-256
// curve only. The pair is loaded when the settings are validated, so a bad path or a key that does not
// match its certificate stops the service at start with the setting named.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import {ServiceConfigError, type ServiceApiConfig} from './settings';

export interface ApiTlsOptions {
  cert: Buffer;
  key: Buffer;
  minVersion: 'TLSv1.2';
  ecdhCurve: 'P-256';
}

/** The server options of the API's TLS, or null when TLS is off; throws ServiceConfigError naming the setting. */
export function apiTlsOptions(t: ServiceApiConfig['tls']): ApiTlsOptions | null {
  if (!t.enable) return null;
  if (!t.certFile || !t.certKey)
    throw new ServiceConfigError('api.http.tls: cert_file and cert_key are required when TLS is enabled');
  const read = (name: string, file: string) => {
    try {
      return fs.readFileSync(file);
    } catch (err) {
      throw new ServiceConfigError(`${name}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  };
  const cert = read('api.http.tls.cert_file', t.certFile);
  const key = read('api.http.tls.cert_key', t.certKey);
  const options: ApiTlsOptions = {cert, key, minVersion: 'TLSv1.2', ecdhCurve: 'P-256'};
  try {
    tls.createSecureContext(options);
  } catch (err) {
    // OpenSSL's reason ("key values mismatch", "no start line"), never the key material.
    throw new ServiceConfigError(
      `api.http.tls: cannot use cert_file ${t.certFile} with cert_key ${t.certKey}: ${(err as Error).message}`,
    );
  }
  return options;
}

/**
 * Fastify's `serverFactory` for the API: plain HTTP, or HTTPS with these options, with the timeouts Fastify
 * would set on a server of its own. The HTTPS server is handed over as an http.Server (it is one, with TLS
 * under it), so the API's code is the same either way.
 */
export function apiServerFactory(
  options: ApiTlsOptions | null,
): (
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => void,
  fastifyOptions: {keepAliveTimeout?: number; requestTimeout?: number},
) => http.Server {
  return (handler, fastifyOptions) => {
    const server = options ? https.createServer(options, handler) : http.createServer(handler);
    if (fastifyOptions.keepAliveTimeout) server.keepAliveTimeout = fastifyOptions.keepAliveTimeout;
    if (fastifyOptions.requestTimeout) server.requestTimeout = fastifyOptions.requestTimeout;
    return server as http.Server;
  };
}

/** The scheme the API's URL is reached with. */
export function apiScheme(options: ApiTlsOptions | null): 'http' | 'https' {
  return options ? 'https' : 'http';
}
