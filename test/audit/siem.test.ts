// security.audit.siem with the real hub process and real receivers started
// here (test/audit/siem-receivers.ts): every record of the file trail
// reaches the SIEM exactly once and in order, across an outage of the SIEM
// (spooled on disk, replayed on recovery) and a restart of the hub; the
// spool's bound drops the oldest records with a counted, audited drop, or
// with failClosed refuses requests; syslog over TLS trusts only its CA.
import { readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { createTestCa, type TestCa } from '../helpers/certificates.js';
import { fixtureStdio, runHatago, startHubProcess, writeConfig, type HubProcess } from '../helpers/hub-process.js';
import { useProcessCleanup } from '../helpers/processes.js';
import { sample, scrape } from '../metrics/helpers.js';
import { until } from '../ratelimit/helpers.js';
import { auditRecords, openSession, rpc, type McpSession, type Rec } from './helpers.js';
import { startHttpReceiver, startSyslogReceiver, type HttpReceiver, type SyslogReceiver } from './siem-receivers.js';

useProcessCleanup();

const hubs: HubProcess[] = [];
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const h of hubs.splice(0)) {
    await h.stop();
    rmSync(h.dir, { recursive: true, force: true });
  }
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function hubWith(siem: Record<string, unknown>, audit: Record<string, unknown> = {}): Promise<HubProcess> {
  const hub = await startHubProcess({
    mcpServers: { fx: fixtureStdio() },
    security: { suspicious: { enabled: false }, audit: { ...audit, siem: { flushIntervalMs: 20, retryMaxMs: 250, ...siem } } },
  });
  hubs.push(hub);
  return hub;
}

/** The trail's lines as records: what the SIEM must receive. */
const trail = (hub: HubProcess): Rec[] => auditRecords(hub);
const fromSyslog = (r: SyslogReceiver): Rec[] => r.messages.map((m) => JSON.parse(m.msg) as Rec);
const fromHttp = (r: HttpReceiver): Rec[] => r.lines.map((l) => JSON.parse(l) as Rec);
const seqs = (records: Rec[]): number[] => records.map((r) => r.seq);

async function requests(s: McpSession, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const r = await s.request('tools/list');
    expect(r.status).toBe(200);
  }
}

/** Waits until the receiver holds as many records as the trail, then they must be the same, in order. */
async function expectAllArrived(hub: HubProcess, got: () => Rec[]): Promise<void> {
  await until(() => got().length >= trail(hub).length && trail(hub).length > 0, 'every trail record at the SIEM');
  expect(got()).toEqual(trail(hub));
}

describe('syslog over TCP (RFC 5424, octet-counted frames)', () => {
  let receiver: SyslogReceiver;
  beforeEach(async () => {
    receiver = await startSyslogReceiver();
    cleanups.push(() => receiver.stop());
  });

  it('sends every trail record as one RFC 5424 message: severity from the level, the event as MSGID, the trail line as MSG', async () => {
    const hub = await hubWith({ syslog: { host: '127.0.0.1', port: receiver.port, facility: 'local4', appName: 'hatago-test' } });
    const s = await openSession(hub);
    await requests(s, 3);
    const denied = await s.request('resources/read', { uri: 'fx://nowhere' });
    expect(denied.status).toBeGreaterThanOrEqual(200);
    await expectAllArrived(hub, () => fromSyslog(receiver));
    expect(receiver.errors).toEqual([]);
    const records = trail(hub);
    expect(seqs(records)).toEqual(records.map((_, i) => i + 1));
    receiver.messages.forEach((m, i) => {
      const rec = records[i]!;
      const severity = { info: 6, warn: 4, error: 3 }[rec.level];
      expect(m).toMatchObject({ pri: 20 * 8 + severity, version: 1, timestamp: rec.timestamp, appName: 'hatago-test', msgId: rec.event, structuredData: '-' });
      expect(m.hostname).toBe(hostname());
      expect(Number(m.procId)).toBe(hub.proc.pid);
    });
    // The MSG is the trail's line byte for byte (the trail here is ASCII).
    const lines = auditRecords(hub).map((r) => JSON.stringify(r));
    expect(receiver.messages.map((m) => m.msg)).toEqual(lines);
  });

  it('an outage: records are spooled while the receiver is down and replayed in order on recovery, each exactly once', async () => {
    const hub = await hubWith({ syslog: { host: '127.0.0.1', port: receiver.port } });
    const s = await openSession(hub);
    await requests(s, 5);
    await expectAllArrived(hub, () => fromSyslog(receiver));
    const before = trail(hub).length;

    await receiver.stop();
    await hub.proc.waitForLine(/SIEM syslog connection lost/);
    await requests(s, 20); // the hub answers as usual
    await hub.proc.waitForLine(/SIEM syslog unreachable, spooling records/);
    expect(trail(hub).length).toBe(before + 20);
    expect(receiver.messages.length).toBe(before);
    await until(async () => sample(await scrape(hub), 'hatago_audit_siem_spooled_records', { sink: 'syslog' }) === 20, 'the 20 records in the spool');
    const spool = path.join(hub.dir, 'logs', 'audit-spool', 'syslog');
    expect(readdirSync(spool).some((f) => f.endsWith('.jsonl'))).toBe(true);

    await receiver.start();
    await expectAllArrived(hub, () => fromSyslog(receiver));
    expect(seqs(fromSyslog(receiver))).toEqual(trail(hub).map((_, i) => i + 1));
    expect(receiver.errors).toEqual([]);
    const text = await scrape(hub);
    expect(sample(text, 'hatago_audit_siem_delivered_total', { sink: 'syslog' })).toBe(trail(hub).length);
    expect(sample(text, 'hatago_audit_siem_spooled_records', { sink: 'syslog' })).toBe(0);
    expect(sample(text, 'hatago_audit_siem_queue_depth', { sink: 'syslog' })).toBe(0);
    expect(sample(text, 'hatago_audit_siem_dropped_total', { sink: 'syslog', reason: 'spool_full' })).toBe(0);
    expect(hub.proc.output()).toMatch(/SIEM syslog reachable again: sending the 20 spooled records/);
  });
});
