import { hostname } from 'node:os';

// RFC 5424 messages carrying one audit record each, framed by octet
// counting (RFC 6587 section 3.4.1, also the framing of RFC 5425 over TLS):
// `<len> <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID - MSG`.

/** RFC 5424 section 6.2.1 facility names, as their numbers. */
export const SYSLOG_FACILITIES = {
  kern: 0, user: 1, mail: 2, daemon: 3, auth: 4, syslog: 5, lpr: 6, news: 7, uucp: 8, cron: 9, authpriv: 10, ftp: 11,
  ntp: 12, audit: 13, alert: 14, clock: 15, local0: 16, local1: 17, local2: 18, local3: 19, local4: 20, local5: 21, local6: 22, local7: 23,
} as const;
export type SyslogFacility = keyof typeof SYSLOG_FACILITIES;

const SEVERITY: Record<string, number> = { error: 3, warn: 4, info: 6 };

/** PRINTUSASCII (33..126), at most `max` characters; `-` (NILVALUE) when nothing is left. */
function header(v: string, max: number): string {
  const s = v.replace(/[^\x21-\x7e]/g, '').slice(0, max);
  return s === '' ? '-' : s;
}

/** JSON with every character past ASCII as a \uXXXX escape: the same JSON value, and a MSG no receiver mangles. */
export function asciiJson(line: string): string {
  return line.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export interface SyslogHeader {
  facility: number;
  appName: string;
  /** HOSTNAME. Default this machine's name. */
  hostname?: string;
}

/** One framed message for one trail line (the record's JSON as the trail holds it). */
export function syslogFrame(line: string, h: SyslogHeader): Buffer {
  const r = JSON.parse(line) as { timestamp?: unknown; level?: unknown; event?: unknown };
  const pri = h.facility * 8 + (SEVERITY[String(r.level)] ?? 6);
  const ts = typeof r.timestamp === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?(Z|[+-]\d\d:\d\d)$/.test(r.timestamp) ? r.timestamp : '-';
  const msg = `<${pri}>1 ${ts} ${header(h.hostname ?? hostname(), 255)} ${header(h.appName, 48)} ${process.pid} ${header(String(r.event ?? ''), 32)} - ${asciiJson(line)}`;
  const body = Buffer.from(msg, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length} `, 'ascii'), body]);
}
