import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { HubProcess } from '../helpers/hub-process.js';
import { bearer } from '../audit/helpers.js';

/** A 2026-07-28 (stateless) client of principal `sub` with role user; its close goes on `closers`. */
export async function modernClient(h: HubProcess, secret: string, closers: (() => Promise<void>)[], sub: string): Promise<Client> {
  const c = new Client({ name: 'flows-modern', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
  await c.connect(new StreamableHTTPClientTransport(new URL(h.mcpUrl), { requestInit: { headers: { Authorization: await bearer(secret, sub, ['user']) } } }));
  closers.push(() => c.close());
  return c;
}
