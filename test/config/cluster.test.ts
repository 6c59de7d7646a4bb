// The cluster keys as applyCluster reads them: the replica id (config,
// HATAGO_REPLICA_ID, else the host name made safe for a file name), the
// replica's audit chain path, and the stores it fills or refuses.
import { hostname } from 'node:os';
import path from 'node:path';
import { applyCluster, replicaAuditFile, replicaId } from '../../src/config/cluster.js';
import type { HatagoConfig } from '../../src/config/types.js';

const base = (extra: Partial<HatagoConfig> = {}): HatagoConfig => ({
  mcpServers: {},
  http: { host: '127.0.0.1', port: 3000 },
  policies: { bundle: 'b.tar.gz' },
  security: { authentication: { enabled: false }, authorization: { enabled: true } },
  ...extra,
});

describe('replicaId', () => {
  it('takes cluster.replicaId, then HATAGO_REPLICA_ID, then the host name', () => {
    expect(replicaId({ cluster: { replicaId: 'hub-a' } }, { HATAGO_REPLICA_ID: 'other' })).toBe('hub-a');
    expect(replicaId({}, { HATAGO_REPLICA_ID: 'pod-7' })).toBe('pod-7');
    expect(replicaId({}, {})).toBe(hostname().replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 63) || 'replica');
  });

  it('refuses an id that is not a safe file name, naming where it came from', () => {
    expect(() => replicaId({}, { HATAGO_REPLICA_ID: '../etc' })).toThrow('HATAGO_REPLICA_ID "../etc" must be 1-63 letters, digits, ".", "_" or "-", starting with a letter or digit');
  });
});

describe('replicaAuditFile', () => {
  it('puts each replica\'s chain in a folder named after the trail', () => {
    expect(replicaAuditFile(path.join('logs', 'audit.log'), 'hub-a')).toBe(path.join('logs', 'audit', 'hub-a.log'));
    expect(replicaAuditFile('/srv/trail', 'hub-a')).toBe('/srv/trail.d/hub-a.log');
  });
});

describe('applyCluster', () => {
  it('changes nothing without cluster.enabled', () => {
    const c = base();
    expect(applyCluster(c, {})).toEqual([]);
    expect(c).toEqual(base());
  });

  it('fills the store keys left out, keeps another Redis, and points the trail at the replica\'s chain', () => {
    const c = base({ cluster: { enabled: true, redis: 'redis://:pw@r:6379', replicaId: 'hub-b' } });
    c.security.authentication = { enabled: true, secret: 's' };
    c.security.rateLimit = { store: 'redis://other:6379' };
    const notes = applyCluster(c, {});
    expect(c.security.rateLimit.store).toBe('redis://other:6379');
    expect(c.security.suspicious?.store).toBe('redis://:pw@r:6379');
    expect(c.security.pinning?.store).toBe('redis://:pw@r:6379');
    expect(c.security.authentication.revocation?.store).toBe('redis://:pw@r:6379');
    expect(c.security.flows?.store).toBe('redis://:pw@r:6379');
    expect(c.security.audit?.file).toBe(path.join('logs', 'audit', 'hub-b.log'));
    expect(notes.join('\n')).not.toContain('pw');
    expect(notes).toContain('cluster: security.suspicious.store uses cluster.redis (redis://r:6379)');
  });

  it('refuses a per-process store, naming the key', () => {
    const c = base({ cluster: { enabled: true, redis: 'redis://r:6379' } });
    c.security.pinning = { store: 'file' };
    expect(() => applyCluster(c, {})).toThrow('security.pinning.store is "file" but cluster.enabled is true');
    const d = base({ cluster: { enabled: true, redis: 'redis://r:6379' } });
    d.security.flows = { store: 'memory' };
    expect(() => applyCluster(d, {})).toThrow('security.flows.store is "memory" but cluster.enabled is true');
  });
});
