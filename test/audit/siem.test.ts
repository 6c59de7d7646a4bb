// security.audit.siem with the real hub process and real receivers started
// here (test/audit/siem-receivers.ts): every record of the file trail
// reaches the SIEM exactly once and in order, across an outage of the SIEM
// (spooled on disk, replayed on recovery) and a restart of the hub; the
// spool's bound drops the oldest records with a counted, audited drop, or
// with failClosed refuses requests; syslog over TLS trusts only its CA.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { createTestCa, type TestCa } from '../helpers/certificates.js';
import { fixtureStdio, runHatago, startHubProcess, writeConfig, type HubProcess } from '../helpers/hub-process.js';
import { useProcessCleanup } from '../helpers/processes.js';
import { promtool, sample, scrape } from '../metrics/helpers.js';
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
    security: {
      suspicious: { enabled: false },
      // The anonymous caller may read /metrics (method admin/metrics) and call no tool.
      authorization: { defaultRole: 'scraper', roles: { scraper: { permissions: ['admin:metrics:read'] } } },
      audit: { ...audit, siem: { flushIntervalMs: 20, retryMaxMs: 250, ...siem } },
    },
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

interface SiemSeries { delivered: number; queued: number; spooled: number; dropped: number; spoolBytes: number; text: string; trail: number }

/**
 * One scrape of a destination's series, with the trail's length right after
 * it. A scrape is itself a decision with a record (granted admin/metrics),
 * written before the metrics are rendered: so every record of the trail is
 * delivered, queued, spooled or dropped, counting that one too.
 */
async function siemSeries(hub: HubProcess, sink: 'syslog' | 'http'): Promise<SiemSeries> {
  const text = await scrape(hub);
  const at = (name: string, labels: Record<string, string> = {}) => sample(text, name, { sink, ...labels });
  return {
    delivered: at('hatago_audit_siem_delivered_total'),
    queued: at('hatago_audit_siem_queue_depth'),
    spooled: at('hatago_audit_siem_spooled_records'),
    dropped: at('hatago_audit_siem_dropped_total', { reason: 'spool_full' }) + at('hatago_audit_siem_dropped_total', { reason: 'spool_unwritable' }),
    spoolBytes: at('hatago_audit_siem_spool_bytes'),
    text,
    trail: trail(hub).length,
  };
}

function expectAccounted(m: SiemSeries): void {
  expect(m.delivered + m.queued + m.spooled + m.dropped).toBe(m.trail);
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
    // An anonymous caller without a default role may not call a tool: a permission_denied record, level warn.
    const denied = await s.call('fx_echo', { text: 'hi' });
    expect(denied.status).toBe(403);
    expect(rpc(denied).error?.data?.code).toBe('ERR_PERMISSION_DENIED');
    await expectAllArrived(hub, () => fromSyslog(receiver));
    expect(receiver.errors).toEqual([]);
    const records = trail(hub);
    expect(seqs(records)).toEqual(records.map((_, i) => i + 1));
    expect(records.map((r) => r.level)).toContain('warn');
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
    // Everything since the outage is in the spool (the scrape's own record too), nothing in memory.
    const down = await siemSeries(hub, 'syslog');
    expect(down).toMatchObject({ spooled: down.trail - before, queued: 0, delivered: before, dropped: 0 });
    const spool = path.join(hub.dir, 'logs', 'audit-spool', 'syslog');
    expect(readdirSync(spool).some((f) => f.endsWith('.jsonl'))).toBe(true);

    await receiver.start();
    await expectAllArrived(hub, () => fromSyslog(receiver));
    expect(seqs(fromSyslog(receiver))).toEqual(trail(hub).map((_, i) => i + 1));
    expect(receiver.errors).toEqual([]);
    const up = await siemSeries(hub, 'syslog');
    expectAccounted(up);
    expect(up.dropped).toBe(0);
    expect(up.delivered).toBeGreaterThanOrEqual(up.trail - 1); // all but, perhaps, the scrape's own record
    expect(hub.proc.output()).toMatch(new RegExp(`SIEM syslog reachable again: sending the ${down.spooled} spooled records`));
    const lint = promtool(['check', 'metrics'], up.text);
    expect(lint.output).toBe('');
    expect(lint.status).toBe(0);
  });
});

describe('syslog over TLS (RFC 5425)', () => {
  let ca: TestCa;
  let receiver: SyslogReceiver;
  beforeAll(() => {
    ca = createTestCa('hatago-siem-ca');
  });
  afterAll(() => rmSync(ca.dir, { recursive: true, force: true }));
  beforeEach(async () => {
    const leaf = ca.issue('siem', { cn: 'siem.test', san: 'DNS:siem.test,IP:127.0.0.1', usage: 'serverAuth' });
    receiver = await startSyslogReceiver({ tls: { cert: leaf.cert, key: leaf.key } });
    cleanups.push(() => receiver.stop());
  });

  it('with tls.ca naming the test CA, every record arrives over TLS (the address checked against the certificate)', async () => {
    const hub = await hubWith({ syslog: { host: '127.0.0.1', port: receiver.port, tls: { ca: ca.certFile } } });
    await requests(await openSession(hub), 3);
    await expectAllArrived(hub, () => fromSyslog(receiver));
    expect(receiver.errors).toEqual([]);
  });

  it('tls.servername is the name checked: the certificate\'s name passes, another one is refused and the records stay spooled', async () => {
    const good = await hubWith({ syslog: { host: '127.0.0.1', port: receiver.port, tls: { ca: ca.certFile, servername: 'siem.test' } } });
    await requests(await openSession(good), 1);
    await expectAllArrived(good, () => fromSyslog(receiver));
    const got = receiver.messages.length;

    const wrong = await hubWith({ syslog: { host: '127.0.0.1', port: receiver.port, tls: { ca: ca.certFile, servername: 'other.test' } } });
    await requests(await openSession(wrong), 2);
    await wrong.proc.waitForLine(/SIEM syslog unreachable, spooling records: Hostname\/IP does not match certificate's altnames/);
    expect(receiver.messages.length).toBe(got);
    await until(async () => { const m = await siemSeries(wrong, 'syslog'); return m.spooled === m.trail; }, 'the whole trail in the spool');
  });

  it('without tls.ca the system CAs do not trust the test CA: nothing is sent, everything is spooled', async () => {
    const hub = await hubWith({ syslog: { host: '127.0.0.1', port: receiver.port, tls: {} } });
    await requests(await openSession(hub), 2);
    await hub.proc.waitForLine(/SIEM syslog unreachable, spooling records: unable to verify the first certificate/);
    expect(receiver.messages).toEqual([]);
    await until(async () => { const m = await siemSeries(hub, 'syslog'); return m.spooled === m.trail; }, 'the whole trail in the spool');
  });
});

describe('HTTP JSON lines', () => {
  let receiver: HttpReceiver;
  beforeEach(async () => {
    receiver = await startHttpReceiver();
    cleanups.push(() => receiver.stop());
  });

  it('POSTs batches of at most batchMaxRecords trail lines as application/x-ndjson with the configured headers', async () => {
    const hub = await hubWith({ http: { url: receiver.url, headers: { authorization: 'Bearer siem-ingest-token' } }, batchMaxRecords: 2 });
    const s = await openSession(hub);
    await requests(s, 7);
    await expectAllArrived(hub, () => fromHttp(receiver));
    expect(receiver.lines).toEqual(auditRecords(hub).map((r) => JSON.stringify(r)));
    expect(receiver.requests.every((r) => r.lines >= 1 && r.lines <= 2 && r.status === 204)).toBe(true);
    expect(receiver.requests.every((r) => r.headers.authorization === 'Bearer siem-ingest-token' && r.headers['content-type'] === 'application/x-ndjson')).toBe(true);
  });

  it('a SIEM that never answers does not hold up a request: the batch times out, is spooled, and arrives once the SIEM answers', async () => {
    const hub = await hubWith({ http: { url: receiver.url }, timeoutMs: 500 });
    const s = await openSession(hub);
    await requests(s, 1);
    await expectAllArrived(hub, () => fromHttp(receiver));
    receiver.hang = true;
    await requests(s, 5); // each answered while the SIEM holds its POST
    await hub.proc.waitForLine(/SIEM http unreachable, spooling records: no answer within 500 ms/);
    receiver.hang = false;
    await expectAllArrived(hub, () => fromHttp(receiver));
  });

  it('a full spool drops its oldest records: counted, audited with their seqs, and the rest arrives once, in order', async () => {
    const maxBytes = 4096;
    const hub = await hubWith({ http: { url: receiver.url }, spool: { maxBytes } });
    const s = await openSession(hub);
    await requests(s, 2);
    await expectAllArrived(hub, () => fromHttp(receiver));

    receiver.failWith = 503;
    await requests(s, 30);
    await hub.proc.waitForLine(/SIEM http unreachable, spooling records: answered HTTP 503/);
    await until(() => trail(hub).some((r) => r.event === 'audit_records_dropped'), 'an audited drop');
    // The bound holds on disk.
    const spool = path.join(hub.dir, 'logs', 'audit-spool', 'http');
    const onDisk = readdirSync(spool).filter((f) => f.endsWith('.jsonl')).reduce((n, f) => n + statSync(path.join(spool, f)).size, 0);
    expect(onDisk).toBeLessThanOrEqual(maxBytes);
    expect((await siemSeries(hub, 'http')).spoolBytes).toBeLessThanOrEqual(maxBytes);

    receiver.failWith = null;
    const droppedInTrail = () => trail(hub).filter((r) => r.event === 'audit_records_dropped').reduce((n, r) => n + (r.metadata.records as number), 0);
    await until(() => receiver.lines.length + droppedInTrail() === trail(hub).length, 'every record delivered or dropped');
    const all = trail(hub);
    const got = fromHttp(receiver);
    const drops = all.filter((r) => r.event === 'audit_records_dropped');
    expect(drops.length).toBeGreaterThan(0);
    // Each drop names its records' seq range; the records of one spool segment need not be consecutive
    // (a batch that was in flight is spooled into a segment of its own), so a range may enclose records
    // another drop names. What must hold: every record not delivered is inside some audited drop, and
    // the audited counts add up to exactly the records that never arrived.
    const delivered = new Set(got.map((r) => r.seq));
    const missing = new Set(all.filter((r) => !delivered.has(r.seq)).map((r) => r.seq));
    let audited = 0;
    for (const d of drops) {
      expect(d.level).toBe('warn');
      expect(d.metadata).toMatchObject({ sink: 'http', reason: 'spool_full' });
      const { firstSeq, lastSeq, records } = d.metadata as { firstSeq: number; lastSeq: number; records: number };
      expect(lastSeq - firstSeq + 1).toBeGreaterThanOrEqual(records);
      audited += records;
    }
    for (const q of missing) expect(drops.some((d) => (d.metadata.firstSeq as number) <= q && q <= (d.metadata.lastSeq as number))).toBe(true);
    expect(audited).toBe(missing.size);
    // Everything else arrived, exactly once, in trail order, as the trail has it.
    expect(got).toEqual(all.filter((r) => !missing.has(r.seq)));
    const m = await siemSeries(hub, 'http');
    expect(m.dropped).toBe(missing.size);
    expectAccounted(m);
  });

  it('failClosed: with the spool full, requests fail 503 ERR_AUDIT_UNAVAILABLE and nothing is dropped; on recovery all arrives and requests pass again', async () => {
    const hub = await hubWith({ http: { url: receiver.url }, spool: { maxBytes: 4096 }, failClosed: true }, { maxRecordBytes: 1024 });
    const s = await openSession(hub);
    await requests(s, 1);
    await expectAllArrived(hub, () => fromHttp(receiver));

    receiver.failWith = 503;
    let refused: Awaited<ReturnType<McpSession['request']>> | undefined;
    let before = 0;
    for (let i = 0; i < 40 && !refused; i++) {
      before = trail(hub).length;
      const r = await s.request('tools/list');
      if (r.status !== 200) refused = r;
    }
    expect(refused?.status).toBe(503);
    const body = rpc(refused!) as { error?: { code: number; message?: string; data?: { code?: string } } };
    expect(body.error?.data?.code).toBe('ERR_AUDIT_UNAVAILABLE');
    expect(body.error?.message).toBe('Audit trail unavailable: request refused (fail closed)');
    // Not in the trail either: both sinks hold the same records.
    expect(trail(hub).length).toBe(before);
    expect((await s.request('tools/list')).status).toBe(503);
    expect(hub.proc.output()).toMatch(/audit record refused: the SIEM spool is full/);

    receiver.failWith = null;
    await expectAllArrived(hub, () => fromHttp(receiver));
    expect(trail(hub).some((r) => r.event === 'audit_records_dropped')).toBe(false);
    await until(async () => (await siemSeries(hub, 'http')).spooled === 0, 'the spool drained');
    await requests(s, 1);
    await expectAllArrived(hub, () => fromHttp(receiver));
    const m = await siemSeries(hub, 'http');
    expect(m.dropped).toBe(0);
    expectAccounted(m);
  });

  it('a hub stopped with records queued in memory sends them before it exits', async () => {
    const hub = await hubWith({ http: { url: receiver.url }, flushIntervalMs: 600_000 });
    const s = await openSession(hub);
    await requests(s, 4);
    expect(receiver.lines).toEqual([]); // held for the (long) flush interval
    const m = await siemSeries(hub, 'http');
    expect(m).toMatchObject({ queued: m.trail, delivered: 0, spooled: 0 });
    await hub.stop();
    expect(fromHttp(receiver)).toEqual(trail(hub));
  });

  it('a hub killed with records in memory: the next hub on the same trail sends them from the trail first, none lost or repeated', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hatago-siem-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const audit = { file: path.join(dir, 'audit.log') };
    const spool = { dir: path.join(dir, 'spool') };
    // Full batches of 3 go out at once; the rest waits for a flush interval that never comes.
    const first = await hubWith({ http: { url: receiver.url }, spool, batchMaxRecords: 3, flushIntervalMs: 600_000 }, audit);
    const s = await openSession(first);
    await requests(s, 4);
    if (readLines(audit.file).length % 3 === 0) await requests(s, 1);
    const written = readLines(audit.file).length;
    const held = written % 3;
    await until(() => receiver.lines.length === written - held, 'the full batches delivered');
    await first.proc.kill('SIGKILL'); // its lock is stale now: the next hub takes it over

    const second = await hubWith({ http: { url: receiver.url }, spool }, audit);
    await second.proc.waitForLine(new RegExp(`SIEM http: ${held} trail records never handed to it`));
    await requests(await openSession(second), 1);
    await until(() => receiver.lines.length >= readLines(audit.file).length, 'every record of both runs');
    expect(receiver.lines).toEqual(readLines(audit.file));
  });

  it('records spooled when the hub stops during an outage are sent first by the next hub on the same trail', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hatago-siem-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const audit = { file: path.join(dir, 'audit.log') };
    const siem = { http: { url: receiver.url }, spool: { dir: path.join(dir, 'spool') } };
    const first = await hubWith(siem, audit);
    const s = await openSession(first);
    await requests(s, 2);
    receiver.failWith = 503;
    await requests(s, 5);
    await first.proc.waitForLine(/SIEM http unreachable/);
    await first.stop();
    const written = readLines(audit.file);
    expect(receiver.lines.length).toBeLessThan(written.length);

    receiver.failWith = null;
    const second = await hubWith(siem, audit);
    await second.proc.waitForLine(/SIEM http: \d+ records spooled by an earlier run are sent first/);
    const s2 = await openSession(second);
    await requests(s2, 2);
    await until(() => receiver.lines.length >= readLines(audit.file).length, 'both runs\' records at the SIEM');
    expect(receiver.lines).toEqual(readLines(audit.file));
  });
});

/** The trail file's lines, as written. */
function readLines(file: string): string[] {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0);
}

describe('settings the hub cannot honour stop start-up with one line naming the key', () => {
  const cases: [string, Record<string, unknown>, Record<string, unknown>, (dir: string) => string][] = [
    ['an unreadable CA', { syslog: { host: '127.0.0.1', port: 6514, tls: { ca: 'missing-ca.pem' } } }, {},
      (dir) => `hatago: security.audit.siem.syslog.tls.ca: cannot read ${path.join(dir, 'missing-ca.pem')} (ENOENT) [ERR_CONFIG_INVALID]`],
    ['a CA file that holds no certificate', { syslog: { host: '127.0.0.1', port: 6514, tls: { ca: 'not-a-cert.pem' } } }, {},
      (dir) => `hatago: security.audit.siem.syslog.tls.ca: ${path.join(dir, 'not-a-cert.pem')} holds no PEM certificate [ERR_CONFIG_INVALID]`],
    ['a URL that is not http(s)', { http: { url: 'ftp://siem.example/ingest' } }, {},
      () => 'hatago: security.audit.siem.http.url: must be an http:// or https:// URL, not ftp: [ERR_CONFIG_INVALID]'],
    ['no destination', { spool: { maxBytes: 8192 } }, {},
      () => 'hatago: security.audit.siem: names no destination: set syslog, http or both [ERR_CONFIG_INVALID]'],
    ['a spool folder that cannot be created', { http: { url: 'http://127.0.0.1:9/' }, spool: { dir: 'blocked/spool' } }, {},
      (dir) => `hatago: security.audit.siem.spool.dir: ${path.join(dir, 'blocked', 'spool')} cannot be created (${path.join(dir, 'blocked')} is not a folder) [ERR_CONFIG_INVALID]`],
    ['the file trail turned off', { http: { url: 'http://127.0.0.1:9/' } }, { enabled: false },
      () => 'hatago: security.audit.siem: ships the file trail, which security.audit.enabled: false turns off [ERR_CONFIG_INVALID]'],
  ];
  it.each(cases)('%s: serve and config validate print the same line', async (_name, siem, audit, line) => {
    const { dir, file } = writeConfig({ mcpServers: {}, security: { audit: { ...audit, siem } } });
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(path.join(dir, 'not-a-cert.pem'), 'hello\n');
    writeFileSync(path.join(dir, 'blocked'), 'a file where a folder should be\n');
    for (const args of [['serve', '--config', file], ['config', 'validate', '--config', file]]) {
      const r = await runHatago(args, { cwd: dir });
      expect(r.code).toBe(1);
      expect(r.output.trim().split('\n').at(-1)).toBe(line(dir));
    }
    // Refused before the trail is opened or a spool folder made.
    expect(existsSync(path.join(dir, 'logs'))).toBe(false);
  });

  it('the schema refuses unknown keys and bad values under security.audit.siem', async () => {
    const { dir, file } = writeConfig({ mcpServers: {}, security: { audit: { siem: { syslog: { host: 'h', port: 70000, facility: 'nope' }, spool: { maxBytes: 10 }, batch: 1 } } } });
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const r = await runHatago(['config', 'validate', '--config', file], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.output).toContain('/security/audit/siem/batch: unknown key "batch"');
    expect(r.output).toContain('/security/audit/siem/syslog/port: must be <= 65535');
    expect(r.output).toContain('/security/audit/siem/syslog/facility: must be one of ["kern"');
    expect(r.output).toContain('/security/audit/siem/spool/maxBytes: must be >= 4096');
  });
});
