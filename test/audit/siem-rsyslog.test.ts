// security.audit.siem.syslog against rsyslog (Debian's rsyslog package, run
// unprivileged on a free port with a config of its own: imtcp in, one file
// out): the messages parse as RFC 5424 in a real syslog daemon, octet-counted
// framing included, and an outage of the daemon (stopped and started again)
// loses and repeats nothing. A missing rsyslogd fails with what to install.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { fixtureStdio, startHubProcess, type HubProcess } from '../helpers/hub-process.js';
import { freePort, spawnProcess, useProcessCleanup, waitForPort, type TestProcess } from '../helpers/processes.js';
import { until } from '../ratelimit/helpers.js';
import { auditRecords, openSession, type Rec } from './helpers.js';

useProcessCleanup();

const RSYSLOGD = process.env.RSYSLOGD ?? 'rsyslogd';
let dir: string;
let port: number;
let daemon: TestProcess | null = null;
let hub: HubProcess | undefined;

/** What rsyslog parsed out of each message, one line each (fields split by "|", the MSG last). */
const FIELDS = '%pri%|%timereported:::date-rfc3339%|%hostname%|%app-name%|%procid%|%msgid%|%structured-data%|%msg%\\n';

async function startDaemon(): Promise<void> {
  daemon = spawnProcess(RSYSLOGD, ['-n', '-f', path.join(dir, 'rsyslog.conf'), '-i', path.join(dir, 'rsyslogd.pid')]);
  await waitForPort(port);
}

async function stopDaemon(): Promise<void> {
  await daemon?.kill('SIGTERM');
  daemon = null;
}

interface Received { pri: number; timestamp: string; hostname: string; appName: string; procId: string; msgId: string; sd: string; record: Rec }

function received(): Received[] {
  const file = path.join(dir, 'received.log');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0).map((l) => {
    const parts = l.split('|');
    const [pri, timestamp, host, appName, procId, msgId, sd] = parts;
    return { pri: Number(pri), timestamp: timestamp!, hostname: host!, appName: appName!, procId: procId!, msgId: msgId!, sd: sd!, record: JSON.parse(parts.slice(7).join('|')) as Rec };
  });
}

beforeAll(async () => {
  const version = spawnSync(RSYSLOGD, ['-v'], { encoding: 'utf8' });
  if (version.error) throw new Error(`rsyslogd is needed (Debian: apt-get install rsyslog; .ci/run installs it): ${version.error.message}`);
  dir = mkdtempSync(path.join(tmpdir(), 'hatago-rsyslog-'));
  port = await freePort();
  writeFileSync(path.join(dir, 'rsyslog.conf'), [
    `global(workDirectory="${dir}" maxMessageSize="64k")`,
    'module(load="imtcp")',
    `input(type="imtcp" port="${port}" address="127.0.0.1")`,
    `template(name="fields" type="string" string="${FIELDS}")`,
    `action(type="omfile" file="${path.join(dir, 'received.log')}" template="fields")`,
  ].join('\n'));
  await startDaemon();
  hub = await startHubProcess({
    mcpServers: { fx: fixtureStdio() },
    security: { suspicious: { enabled: false }, audit: { siem: { syslog: { host: '127.0.0.1', port, facility: 'audit' }, flushIntervalMs: 20, retryMaxMs: 250 } } },
  });
});

afterAll(async () => {
  await hub?.stop();
  if (hub) rmSync(hub.dir, { recursive: true, force: true });
  await stopDaemon();
  rmSync(dir, { recursive: true, force: true });
});

async function requests(n: number): Promise<void> {
  const s = await openSession(hub!);
  for (let i = 0; i < n; i++) expect((await s.request('tools/list')).status).toBe(200);
}

async function expectAllArrived(): Promise<void> {
  await until(() => received().length >= auditRecords(hub!).length, 'every trail record in rsyslog\'s file');
  expect(received().map((r) => r.record)).toEqual(auditRecords(hub!));
}

it('rsyslog parses every record as RFC 5424: facility and severity, timestamp, host, app, pid, event as MSGID, the record as MSG', async () => {
  await requests(3);
  await expectAllArrived();
  for (const r of received()) {
    expect(r).toMatchObject({ pri: 13 * 8 + { info: 6, warn: 4, error: 3 }[r.record.level], timestamp: r.record.timestamp, hostname: hostname(), appName: 'hatago', procId: String(hub!.proc.pid), msgId: r.record.event, sd: '-' });
  }
});

it('rsyslog stopped and started again: the records of the outage arrive after it, in order, none lost or repeated', async () => {
  await expectAllArrived();
  const before = received().length;
  await stopDaemon();
  await hub!.proc.waitForLine(/SIEM syslog connection lost/);
  await requests(10);
  await hub!.proc.waitForLine(/SIEM syslog unreachable, spooling records/);
  expect(received().length).toBe(before);
  await startDaemon();
  await expectAllArrived();
  expect(received().map((r) => r.record.seq)).toEqual(auditRecords(hub!).map((_, i) => i + 1));
});
