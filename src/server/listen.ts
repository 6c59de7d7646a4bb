import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { RequestListener } from 'node:http';
import tls from 'node:tls';
import { serverLimits, type ServerLimits } from '../config/server-limits.js';
import type { HttpConfig } from '../config/types.js';
import { HatagoError } from '../errors/index.js';
import type { Logger } from '../log/logger.js';
import { limitConnections } from './connection-limits.js';

export interface Listening {
  server: http.Server;
  url: string;
}

/** Node's timeouts from the limits. requestTimeout bounds receiving the request only, never a (streamed) response. */
function timeouts(l: ServerLimits): http.ServerOptions {
  return {
    headersTimeout: l.headersTimeoutMs,
    requestTimeout: l.requestTimeoutMs,
    keepAliveTimeout: l.keepAliveTimeoutMs,
    // Node checks the two timeouts above on this interval (default 30 s): make them bite on time.
    connectionsCheckingInterval: Math.min(1000, l.headersTimeoutMs),
  };
}

/**
 * Binds HTTP, or HTTPS only when http.ssl.enabled (docs/tls.md), on host:port,
 * with the server limits of docs/server-limits.md (timeouts, connection caps);
 * an occupied port is ERR_PORT_IN_USE, not a stack trace.
 */
export async function listen(cfg: HttpConfig, handler: RequestListener, logger?: Logger): Promise<Listening> {
  const ssl = cfg.ssl?.enabled ? cfg.ssl : undefined;
  const limits = serverLimits(cfg);
  let server: http.Server;
  if (ssl) {
    // A handshake that never finishes holds a socket like slow headers do.
    server = https.createServer({ ...tlsOptions(ssl), ...timeouts(limits), handshakeTimeout: limits.headersTimeoutMs }, handler);
  } else {
    server = http.createServer(timeouts(limits), handler);
  }
  limitConnections(server, limits, logger);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') reject(new HatagoError('ERR_PORT_IN_USE', { message: `Port ${cfg.port} on ${cfg.host} is already in use` }));
      else if (err.code === 'EADDRNOTAVAIL' || err.code === 'EACCES') reject(new HatagoError('ERR_CONFIG_INVALID', { message: `Cannot listen on ${cfg.host}:${cfg.port} (${err.code})` }));
      else reject(err);
    });
    server.listen(cfg.port, cfg.host, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : cfg.port;
  const host = cfg.host.includes(':') ? `[${cfg.host}]` : cfg.host;
  return { server, url: `${ssl ? 'https' : 'http'}://${host}:${port}` };
}

type SslConfig = NonNullable<HttpConfig['ssl']>;

/**
 * Node TLS options from http.ssl (docs/tls.md). `ca` turns on mutual TLS
 * (http.ssl.requestCert, default true with `ca`): every client must present
 * a certificate issued by that CA. Any file or
 * setting Node refuses (unreadable, not PEM, key not matching the
 * certificate, no cipher matching) is ERR_TLS_CONFIG, one line at start-up.
 */
export function tlsOptions(ssl: SslConfig): https.ServerOptions {
  const fail = (message: string) => new HatagoError('ERR_TLS_CONFIG', { message });
  if (!ssl.cert || !ssl.key) throw fail('http.ssl.enabled needs both http.ssl.cert and http.ssl.key');
  const read = (file: string, key: string) => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw fail(`http.ssl.${key}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  };
  const protocols = ssl.protocols ?? ['TLSv1.2', 'TLSv1.3'];
  if (protocols.length === 0) throw fail('http.ssl.protocols lists no protocol (use TLSv1.2 and/or TLSv1.3)');
  const options: https.ServerOptions = {
    cert: read(ssl.cert, 'cert'),
    key: read(ssl.key, 'key'),
    minVersion: protocols.includes('TLSv1.2') ? 'TLSv1.2' : 'TLSv1.3',
    maxVersion: protocols.includes('TLSv1.3') ? 'TLSv1.3' : 'TLSv1.2',
    // TLS 1.2 suites by OpenSSL name; TLS 1.3 ones (TLS_AES_...) may be listed too, else Node's 1.3 defaults stay.
    ...(ssl.ciphers && { ciphers: ssl.ciphers.join(':'), honorCipherOrder: true }),
    // `ca` means mutual TLS unless http.ssl.requestCert is false (then it only completes the chain).
    ...(ssl.ca && { ca: read(ssl.ca, 'ca'), ...(ssl.requestCert !== false && { requestCert: true, rejectUnauthorized: true }) }),
  };
  try {
    // Builds (and so checks) the context now, not at the first handshake.
    tls.createSecureContext(options);
  } catch (err) {
    throw fail(`http.ssl: ${describeTlsError(err)}`);
  }
  return options;
}

function describeTlsError(err: unknown): string {
  const e = err as NodeJS.ErrnoException & { reason?: string };
  if (e.code === 'ERR_OSSL_X509_KEY_VALUES_MISMATCH') return 'the key does not match the certificate (http.ssl.key, http.ssl.cert)';
  if (e.code === 'ERR_SSL_NO_CIPHER_MATCH') return 'no cipher in http.ssl.ciphers is known to OpenSSL';
  return `cannot load the certificate, key or CA (${e.reason ?? e.code ?? e.message})`;
}
