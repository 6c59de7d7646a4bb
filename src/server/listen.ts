import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { RequestListener } from 'node:http';
import type { HttpConfig } from '../config/types.js';
import { HatagoError } from '../errors/index.js';

export interface Listening {
  server: http.Server;
  url: string;
}

/** Binds HTTP or HTTPS (http.ssl) on host:port; an occupied port is ERR_PORT_IN_USE, not a stack trace. */
export async function listen(cfg: HttpConfig, handler: RequestListener): Promise<Listening> {
  const ssl = cfg.ssl?.enabled ? cfg.ssl : undefined;
  let server: http.Server;
  if (ssl) {
    if (!ssl.cert || !ssl.key) throw new HatagoError('ERR_CONFIG_INVALID', { message: 'http.ssl.enabled needs both http.ssl.cert and http.ssl.key' });
    const read = (file: string, key: string) => {
      try {
        return readFileSync(file);
      } catch (err) {
        throw new HatagoError('ERR_CONFIG_INVALID', { message: `http.ssl.${key}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})` });
      }
    };
    const protocols = ssl.protocols ?? ['TLSv1.2', 'TLSv1.3'];
    server = https.createServer(
      {
        cert: read(ssl.cert, 'cert'),
        key: read(ssl.key, 'key'),
        ...(ssl.ca && { ca: read(ssl.ca, 'ca') }),
        minVersion: protocols.includes('TLSv1.2') ? 'TLSv1.2' : 'TLSv1.3',
        maxVersion: protocols.includes('TLSv1.3') ? 'TLSv1.3' : 'TLSv1.2',
        ...(ssl.ciphers && { ciphers: ssl.ciphers.join(':') }),
      },
      handler,
    );
  } else {
    server = http.createServer(handler);
  }
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
