// Decision logs shipped to an OPA-compatible decision-log service, with the
// real hub process and a real receiver started here (an HTTP(S) server that
// gunzips and keeps the arrays). The local decision log (logs/decisions.log)
// is on beside the service in every hub: it is the list of every decision the
// hub made, so what the receiver got is compared against it exactly.
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_INFO } from '../../../src/util/package-info.js';
import { auditRecords, openSession, rpc, type McpSession } from '../../audit/helpers.js';
import { createTestCa, type TestCa } from '../../helpers/certificates.js';
import { startLogReceiver, type LogReceiver, type OpaEvent } from '../../helpers/decision-log-receiver.js';
import { fixtureStdio, runHatago, startHubProcess, writeConfig, type HubProcess } from '../../helpers/hub-process.js';
import { rawRequest } from '../../helpers/http-client.js';
import { freePort, useProcessCleanup } from '../../helpers/processes.js';
import { promtool, sample, scrape } from '../../metrics/helpers.js';

useProcessCleanup();

const AUTHORIZATION = {
  enabled: true,
  defaultRole: 'tester',
  roles: { tester: { permissions: ['server:fx:tools:list', 'server:fx:tools:call:echo', 'admin:status:read', 'admin:metrics:read'] } },
};

interface FileRecord {
  decisionId: string;
  revision: string;
  timestamp: string;
  input: Record<string, unknown>;
  result: OpaEvent['result'];
}

const hubs: HubProcess[] = [];
const receivers: LogReceiver[] = [];
afterAll(async () => {
  for (const r of receivers) await r.close();
  for (const h of hubs) {
    await h.stop();
    rmSync(h.dir, { recursive: true, force: true });
  }
});

async function hubWith(service: Record<string, unknown>, env: Record<string, string> = {}): Promise<HubProcess> {
  const hub = await startHubProcess(
    {
      mcpServers: { fx: fixtureStdio() },
      policies: { decisionLog: { file: 'logs/decisions.log', service } },
      security: { authorization: AUTHORIZATION },
    },
    { env },
  );
  hubs.push(hub);
  return hub;
}

async function receiver(opts: Parameters<typeof startLogReceiver>[0] = {}): Promise<LogReceiver> {
  const r = await startLogReceiver(opts);
  receivers.push(r);
  return r;
}

/** Every decision the hub made, from its local decision log (complete once the hub stopped). */
function fileRecords(hub: HubProcess): FileRecord[] {
  return readFileSync(path.join(hub.dir, 'logs', 'decisions.log'), 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as FileRecord);
}

interface ServiceStatus { sent: number; buffered: number; failures: number; bufferFull: number }

/** The shipper's state from /metrics (a scrape is decided, but not a decision-log record: it adds none). */
async function serviceStatus(hub: HubProcess): Promise<ServiceStatus> {
  const text = await scrape(hub);
  return {
    sent: sample(text, 'hatago_decision_log_sent_total'),
    buffered: sample(text, 'hatago_decision_log_buffered_records'),
    failures: sample(text, 'hatago_decision_log_upload_failures_total'),
    bufferFull: sample(text, 'hatago_decision_log_dropped_total', { reason: 'buffer_full' }),
  };
}

/** Polls /metrics until check() holds. */
async function untilStatus(hub: HubProcess, check: (s: ServiceStatus) => boolean, timeoutMs = 20000): Promise<ServiceStatus> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const s = await serviceStatus(hub);
    if (check(s)) return s;
    if (Date.now() > end) throw new Error(`decision log service metrics never matched: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function echo(s: McpSession, text: string): Promise<string> {
  const res = rpc(await s.call('fx_echo', { text })) as { result?: { content: { text: string }[] } };
  return res.result?.content.map((c) => c.text).join('') ?? 'no result';
}

async function stop(hub: HubProcess): Promise<void> {
  await hub.stop(); // SIGTERM: the hub gives the service its last flush before it exits
}

describe('records in OPA\'s format', () => {
  let rx: LogReceiver;
  let hub: HubProcess;
  let file: FileRecord[];
  let denied: { code?: string; decisionId?: string } | undefined;

  beforeAll(async () => {
    rx = await receiver();
    hub = await hubWith(
      { url: rx.url, headers: { Authorization: 'Bearer ${DL_TOKEN}', 'X-Api-Key': '${DL_KEY}' }, labels: { app: 'e2e' }, flushIntervalMs: 50 },
      { DL_TOKEN: 'dl-token-7f3a', DL_KEY: 'k-93ab71zz' },
    );
    const s = await openSession(hub);
    expect(await echo(s, 'Bearer s3cr3t-t0ken-abcdef')).toBe('Bearer s3cr3t-t0ken-abcdef');
    // The service's own header values are config secrets: masked wherever they turn up.
    expect(await echo(s, 'the key is k-93ab71zz')).toBe('the key is k-93ab71zz');
    denied = rpc(await s.call('fx_write_file', { path: '/x', content: 'y', password: 'hunter2-pw' })).error?.data;
    // The time trigger sends while the hub runs: the echo decision arrives without a shutdown.
    await rx.until(() => rx.events().some((e) => (e.input.request as { name?: string }).name === 'echo'));
    await stop(hub);
    file = fileRecords(hub);
  });

  it('POSTs gzipped JSON arrays to <url>/logs with the configured headers', () => {
    expect(rx.accepted.length).toBeGreaterThan(0);
    for (const p of rx.accepted) {
      expect(p.method).toBe('POST');
      expect(p.path).toBe('/logs');
      expect(p.headers['content-encoding']).toBe('gzip');
      expect(p.headers['content-type']).toBe('application/json');
      expect(p.headers.authorization).toBe('Bearer dl-token-7f3a');
      expect(p.headers['x-api-key']).toBe('k-93ab71zz');
      expect(Array.isArray(JSON.parse(p.json))).toBe(true);
    }
  });

  it('every decision arrives once, in order, with exactly OPA\'s fields', () => {
    const events = rx.events();
    expect(events.map((e) => e.decision_id)).toEqual(file.map((r) => r.decisionId));
    const labels = events[0]!.labels;
    expect(labels).toEqual({ app: 'e2e', id: expect.stringMatching(/^[0-9a-f-]{36}$/), version: PACKAGE_INFO.version });
    events.forEach((e, i) => {
      const r = file[i]!;
      expect(Object.keys(e).sort()).toEqual(['bundles', 'decision_id', 'input', 'labels', 'path', 'requested_by', 'result', 'revision', 'timestamp']);
      expect(e).toEqual({
        labels,
        decision_id: r.decisionId,
        revision: r.revision,
        bundles: { hatago: { revision: r.revision } },
        path: 'hatago/decision',
        // Masked exactly as the local decision log masks it.
        input: r.input,
        result: r.result,
        requested_by: '127.0.0.1',
        timestamp: r.timestamp,
      });
    });
  });

  it('carries the deny with its code and rule, under the decision id the client got', () => {
    expect(denied?.code).toBe('ERR_PERMISSION_DENIED');
    const e = rx.events().find((x) => x.decision_id === denied?.decisionId);
    expect(e?.result).toMatchObject({ allow: false, code: 'ERR_PERMISSION_DENIED', reasons: [{ rule: 'rbac.missing_permission' }] });
  });

  it('masks secrets in the input as the log sanitizer does', () => {
    const sent = rx.accepted.map((p) => p.json).join('\n');
    expect(sent).not.toContain('s3cr3t-t0ken');
    expect(sent).not.toContain('hunter2-pw');
    expect(sent).not.toContain('k-93ab71zz');
    expect(sent).toContain('"text":"the key is [REDACTED]"');
    const call = rx.events().find((x) => x.decision_id === denied?.decisionId);
    expect((call?.input.request as { arguments: Record<string, unknown> }).arguments).toEqual({ path: '/x', content: 'y', password: '[REDACTED]' });
  });
});

describe('batching', () => {
  it('sends a batch when it holds batchMaxRecords records, before the time trigger', async () => {
    const rx = await receiver();
    const hub = await hubWith({ url: rx.url, batchMaxRecords: 2, flushIntervalMs: 600000 });
    const s = await openSession(hub);
    for (let i = 0; i < 5; i++) expect(await echo(s, `n${i}`)).toBe(`n${i}`);
    await rx.until(() => rx.accepted.length >= 2); // the hub runs: only the count trigger can have sent them
    await stop(hub);
    const file = fileRecords(hub);
    const sizes = rx.accepted.map((p) => p.events.length);
    expect(sizes.slice(0, -1).every((n) => n === 2)).toBe(true);
    expect(sizes[sizes.length - 1]).toBeLessThanOrEqual(2);
    expect(rx.events().map((e) => e.decision_id)).toEqual(file.map((r) => r.decisionId));
  });

  it('keeps each POST under batchMaxBytes, and drops a record that can never fit (too_large, counted)', async () => {
    const rx = await receiver();
    const hub = await hubWith({ url: rx.url, batchMaxBytes: 6000, batchMaxRecords: 100, flushIntervalMs: 600000 });
    const s = await openSession(hub);
    // Words, not one long run (the sanitizer masks long base64-like runs): each record is about 3.5 KB.
    for (let i = 0; i < 6; i++) await echo(s, `word${i} `.repeat(250));
    await rx.until(() => rx.accepted.length >= 1); // sent by the bytes trigger
    // Longer than a batch may be, even after the sanitizer cut the text at 4096 characters.
    await echo(s, 'lorem ipsum '.repeat(400));
    const metrics = await scrape(hub);
    expect(sample(metrics, 'hatago_decision_log_dropped_total', { reason: 'too_large' })).toBe(1);
    await stop(hub);
    const file = fileRecords(hub);
    const big = file.filter((r) => JSON.stringify(r).length > 6000).map((r) => r.decisionId);
    expect(big).toHaveLength(1);
    for (const p of rx.accepted) expect(Buffer.byteLength(p.json)).toBeLessThanOrEqual(6000);
    expect(rx.accepted.length).toBeGreaterThan(1);
    expect(rx.events().map((e) => e.decision_id)).toEqual(file.map((r) => r.decisionId).filter((id) => !big.includes(id)));
    const dropped = auditRecords(hub).filter((r) => r.event === 'decision_log_dropped');
    expect(dropped.map((r) => r.metadata)).toEqual([{ service: `${rx.url}/logs`, dropped: 1, reasons: { too_large: 1 } }]);
  });
});

describe('the service down, then up', () => {
  it('retries with backoff and delivers every buffered record once, in order; nothing dropped', async () => {
    const port = await freePort(); // nobody listens there yet: connections are refused
    const hub = await hubWith({ url: `http://127.0.0.1:${port}`, batchMaxRecords: 2, flushIntervalMs: 20, retryMinDelayMs: 20, retryMaxDelayMs: 200 });
    const s = await openSession(hub);
    for (let i = 0; i < 6; i++) expect(await echo(s, `down-${i}`)).toBe(`down-${i}`);
    const down = await untilStatus(hub, (x) => x.failures >= 3);
    expect(down.sent).toBe(0);
    await hub.proc.waitForLine(/"error":"[^"\n]*ECONNREFUSED[^\n]*"message":"decision log service unreachable; retrying with backoff"/);
    const rx = await receiver({ port });
    const up = await untilStatus(hub, (x) => x.buffered === 0);
    await hub.proc.waitForLine(/decision log service reachable again/);
    const metrics = await scrape(hub);
    expect(metrics).toContain('# TYPE hatago_decision_log_dropped_total counter');
    expect(metrics).not.toMatch(/^hatago_decision_log_dropped_total\{/m); // no drop of any reason
    // The decision-log series pass Prometheus' naming lint.
    expect(promtool(['check', 'metrics'], metrics)).toEqual({ status: 0, output: '' });
    // /health/details shows the same; its own admin/status decision is one more record, which the
    // 20 ms flush may send before the answer is rendered (a busy machine): sent is up.sent or one more.
    const health = await rawRequest(`${hub.url}/health/details`, { method: 'GET' });
    expect(health.status).toBe(200);
    const shown = (health.json as { policy: { decisionLogService: Record<string, unknown> } }).policy.decisionLogService;
    expect(shown).toMatchObject({ url: `http://127.0.0.1:${port}/logs`, dropped: 0, retries: sample(metrics, 'hatago_decision_log_upload_failures_total') });
    expect([up.sent, up.sent + 1]).toContain(shown.sent);
    expect(shown).not.toHaveProperty('lastError');
    await stop(hub);
    const file = fileRecords(hub);
    expect(up.sent).toBe(file.length - 1); // all but the /health/details decision, sent at close
    expect(rx.events().map((e) => e.decision_id)).toEqual(file.map((r) => r.decisionId));
    expect(auditRecords(hub).filter((r) => r.event === 'decision_log_dropped')).toEqual([]);
  });
});

describe('buffer overflow', () => {
  it('drops the oldest waiting records, counts them in /metrics and audits them in summed records', async () => {
    const rx = await receiver({ mode: 'fail' });
    const hub = await hubWith({ url: rx.url, batchMaxRecords: 1, maxBufferRecords: 3, flushIntervalMs: 10, retryMinDelayMs: 20, retryMaxDelayMs: 100 });
    const s = await openSession(hub);
    for (let i = 0; i < 8; i++) expect(await echo(s, `over-${i}`)).toBe(`over-${i}`);
    const full = await untilStatus(hub, (x) => x.failures >= 1);
    expect(full.buffered).toBe(3);
    const counted = full.bufferFull;
    rx.mode = 'ok';
    await rx.until(() => rx.events().length === 3);
    await stop(hub);
    const file = fileRecords(hub);
    expect(counted).toBe(file.length - 3);
    // What arrived: three of the hub's decisions, in the order it made them; the newest among them.
    const ids = file.map((r) => r.decisionId);
    const got = rx.events().map((e) => e.decision_id);
    const at = got.map((id) => ids.indexOf(id));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(at).toContain(ids.length - 1);
    const records = auditRecords(hub).filter((r) => r.event === 'decision_log_dropped');
    expect(records.length).toBeGreaterThan(0);
    expect(records.length).toBeLessThan(counted); // summed, not one record per drop
    expect(records.every((r) => r.level === 'warn' && r.metadata.service === `${rx.url}/logs`)).toBe(true);
    expect(records.reduce((n, r) => n + (r.metadata.dropped as number), 0)).toBe(counted);
    expect(records.reduce((n, r) => n + ((r.metadata.reasons as { buffer_full?: number }).buffer_full ?? 0), 0)).toBe(counted);
  });
});

describe('a service that refuses a batch (4xx)', () => {
  it('drops it without retrying: counted as rejected, logged with the status, audited', async () => {
    const rx = await receiver({ mode: 'reject' });
    const hub = await hubWith({ url: rx.url, batchMaxRecords: 1, flushIntervalMs: 10, retryMinDelayMs: 20, retryMaxDelayMs: 100 });
    const s = await openSession(hub);
    for (let i = 0; i < 3; i++) expect(await echo(s, `rej-${i}`)).toBe(`rej-${i}`);
    const done = await untilStatus(hub, (x) => x.buffered === 0);
    const metrics = await scrape(hub);
    const rejected = sample(metrics, 'hatago_decision_log_dropped_total', { reason: 'rejected' });
    await stop(hub);
    const file = fileRecords(hub);
    expect(rejected).toBe(file.length);
    expect(done.failures).toBe(0); // never retried
    expect(rx.arrivals.map((p) => p.events[0]!.decision_id)).toEqual(file.map((r) => r.decisionId)); // each POSTed once
    expect(rx.accepted).toHaveLength(0);
    expect(hub.proc.output()).toContain('"message":"decision log service refused a batch; records dropped","records":1,"status":400');
    const records = auditRecords(hub).filter((r) => r.event === 'decision_log_dropped');
    expect(records.reduce((n, r) => n + ((r.metadata.reasons as { rejected?: number }).rejected ?? 0), 0)).toBe(file.length);
  });
});

describe('a slow service', () => {
  it('never holds up a request: calls are answered while the service has not answered the first POST', async () => {
    const rx = await receiver({ mode: 'hold' });
    const hub = await hubWith({ url: rx.url, batchMaxRecords: 1, flushIntervalMs: 10, timeoutMs: 120000 });
    const s = await openSession(hub);
    await rx.until(() => rx.arrivals.length === 1); // the service holds the first POST open
    const answers: string[] = [];
    for (let i = 0; i < 5; i++) answers.push(await echo(s, `slow-${i}`));
    // Every call answered, while the service still had not answered: it has accepted nothing yet.
    expect(answers).toEqual(['slow-0', 'slow-1', 'slow-2', 'slow-3', 'slow-4']);
    expect(rx.accepted).toHaveLength(0);
    expect(rx.arrivals).toHaveLength(1);
    rx.release();
    await untilStatus(hub, (x) => x.buffered === 0);
    await stop(hub);
    expect(rx.events().map((e) => e.decision_id)).toEqual(fileRecords(hub).map((r) => r.decisionId));
  });
});

describe('shutdown', () => {
  it('gives the last flush closeTimeoutMs, then exits; what did not arrive is counted and audited as shutdown', async () => {
    const rx = await receiver({ mode: 'hold' });
    const hub = await hubWith({ url: rx.url, batchMaxRecords: 1, flushIntervalMs: 10, timeoutMs: 120000, closeTimeoutMs: 300 });
    const s = await openSession(hub);
    for (let i = 0; i < 3; i++) expect(await echo(s, `bye-${i}`)).toBe(`bye-${i}`);
    await rx.until(() => rx.arrivals.length === 1); // held open: the service never answers
    await stop(hub);
    // The hub exited while the service still held its POST: the wait was bounded.
    expect(hub.proc.child.exitCode).toBe(0);
    expect(rx.accepted).toHaveLength(0);
    const file = fileRecords(hub);
    expect(hub.proc.output()).toContain(`"message":"decision log service: records not delivered at shutdown","records":${file.length}`);
    const records = auditRecords(hub).filter((r) => r.event === 'decision_log_dropped');
    expect(records.reduce((n, r) => n + ((r.metadata.reasons as { shutdown?: number }).shutdown ?? 0), 0)).toBe(file.length);
    expect(records.reduce((n, r) => n + (r.metadata.dropped as number), 0)).toBe(file.length);
  });
});

describe('https', () => {
  let ca: TestCa;
  beforeAll(() => {
    ca = createTestCa();
  });
  afterAll(() => rmSync(ca.dir, { recursive: true, force: true }));

  it('trusts the configured caFile; without it the system CAs refuse the service\'s certificate', async () => {
    const leaf = ca.issue('dl-receiver', { cn: 'localhost', san: 'DNS:localhost', usage: 'serverAuth' });
    const rx = await receiver({ tls: { cert: leaf.cert, key: leaf.key } });
    const untrusted = await hubWith({ url: rx.url, flushIntervalMs: 10, retryMinDelayMs: 20, retryMaxDelayMs: 100 });
    const trusted = await hubWith({ url: rx.url, caFile: ca.certFile, flushIntervalMs: 10 });
    const s1 = await openSession(untrusted);
    expect(await echo(s1, 'no-ca')).toBe('no-ca');
    await untilStatus(untrusted, (x) => x.failures >= 1);
    await untrusted.proc.waitForLine(/"error":"[^"\n]*(self[- ]signed|unable to verify|certificate)[^\n]*"message":"decision log service unreachable; retrying with backoff"/i);
    expect(rx.arrivals).toHaveLength(0);
    const s2 = await openSession(trusted);
    expect(await echo(s2, 'with-ca')).toBe('with-ca');
    await untilStatus(trusted, (x) => x.buffered === 0 && x.sent > 0);
    await stop(trusted);
    expect(rx.events().map((e) => e.decision_id)).toEqual(fileRecords(trusted).map((r) => r.decisionId));
    expect(rx.events().every((e) => e.labels.version === PACKAGE_INFO.version)).toBe(true);
  });
});

describe('config that cannot be honoured: serve refuses to start, naming the key', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['a CA file for an http url', { url: 'http://127.0.0.1:1', caFile: 'ca.pem' }, 'policies.decisionLog.service.caFile: set, but url is not https (http://127.0.0.1:1); a CA file only applies to https'],
    ['a batch larger than the buffer', { url: 'http://127.0.0.1:1', batchMaxBytes: 5000, maxBufferBytes: 4000 }, 'policies.decisionLog.service.batchMaxBytes (5000) must not exceed policies.decisionLog.service.maxBufferBytes (4000)'],
    ['more records per batch than the buffer holds', { url: 'http://127.0.0.1:1', batchMaxRecords: 20, maxBufferRecords: 10 }, 'policies.decisionLog.service.batchMaxRecords (20) must not exceed policies.decisionLog.service.maxBufferRecords (10)'],
    ['a minimum retry delay over the maximum', { url: 'http://127.0.0.1:1', retryMinDelayMs: 2000, retryMaxDelayMs: 1000 }, 'policies.decisionLog.service.retryMinDelayMs (2000) must not exceed policies.decisionLog.service.retryMaxDelayMs (1000)'],
    ['an unknown key', { url: 'http://127.0.0.1:1', batchSize: 10 }, '/policies/decisionLog/service/batchSize: unknown key "batchSize"'],
    ['a url that is not http(s)', { url: 'ftp://logs.example' }, '/policies/decisionLog/service/url: must match pattern "^https?://"'],
  ];
  it.each(cases)('%s', async (_name, service, line) => {
    const { dir, file } = writeConfig({ policies: { decisionLog: { file: false, service } } });
    try {
      const r = await runHatago(['serve', '--config', file], { cwd: dir });
      expect(r.code).toBe(1);
      expect(r.output).toContain(`hatago: Invalid config ${file}:\\x0a  ${line} [ERR_CONFIG_INVALID]`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a caFile that cannot be read', async () => {
    const { dir, file } = writeConfig({ policies: { decisionLog: { file: false, service: { url: 'https://localhost:1', caFile: 'missing-ca.pem' } } } });
    try {
      const r = await runHatago(['serve', '--config', file], { cwd: dir });
      expect(r.code).toBe(1);
      expect(r.output).toContain(`hatago: policies.decisionLog.service.caFile: cannot read ${path.join(dir, 'missing-ca.pem')}: ENOENT [ERR_CONFIG_INVALID]`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('file: false with a service writes no local decision log', async () => {
    const rx = await receiver();
    const hub = await startHubProcess({ mcpServers: { fx: fixtureStdio() }, policies: { decisionLog: { file: false, service: { url: rx.url, flushIntervalMs: 10 } } }, security: { authorization: AUTHORIZATION } });
    hubs.push(hub);
    const s = await openSession(hub);
    expect(await echo(s, 'no-file')).toBe('no-file');
    await rx.until(() => rx.events().some((e) => (e.input.request as { arguments?: { text?: string } | null }).arguments?.text === 'no-file'));
    await stop(hub);
    expect(() => readFileSync(path.join(hub.dir, 'logs', 'decisions.log'))).toThrow(/ENOENT/);
  });
});
