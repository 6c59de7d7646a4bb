// What a session did, for flow rules (docs/flows.md): the last tools/calls
// with the labels their decisions named, and every label seen. Per
// 2025-11-25 session and per stdio connection for their lifetime; per
// principal within a time window for stateless 2026-07-28 requests (they
// have no session). Bounded: entries per key, labels per key, keys in all.

import type { CallerContext } from '../hub/types.js';

export interface FlowEntry {
  server: string;
  tool: string;
  labels: string[];
  at_ns: number;
}

/** `input.session` (contract 2). */
export interface SessionView {
  history: FlowEntry[];
  /** Every label seen under the key (sorted): outlives the entries, so a taint cannot be pushed out of the window of N. */
  labels: string[];
}

export interface FlowHistoryOptions {
  /** Entries kept per key (input.session.history). Default 20. */
  historySize?: number;
  /** Stateless callers: what is older than this is forgotten. Default 3600000 (1 h). */
  windowMs?: number;
  /** Keys kept at most; the least recently used goes first. Default 10000. */
  maxKeys?: number;
}

export const FLOW_DEFAULTS = { historySize: 20, windowMs: 3_600_000, maxKeys: 10_000 } as const;
/** Distinct labels kept per key; more are not recorded (the policy's labels are few). */
const MAX_LABELS = 64;

interface Track {
  entries: FlowEntry[];
  /** label -> last seen (ms). */
  labels: Map<string, number>;
  windowed: boolean;
}

/** Where a caller's history lives: its session or connection, else its principal (windowed). */
export function historyKey(ctx: CallerContext): { key: string; windowed: boolean } {
  if (ctx.connectionId !== undefined) return { key: `connection:${ctx.connectionId}`, windowed: false };
  if (ctx.principal) return { key: `principal:${ctx.principal.sub}`, windowed: true };
  return { key: `anonymous:${ctx.client.ip ?? 'stdio'}`, windowed: true };
}

export class FlowHistory {
  private readonly tracks = new Map<string, Track>();
  private readonly size: number;
  private readonly windowMs: number;
  private readonly maxKeys: number;

  constructor(opts: FlowHistoryOptions = {}) {
    this.size = opts.historySize ?? FLOW_DEFAULTS.historySize;
    this.windowMs = opts.windowMs ?? FLOW_DEFAULTS.windowMs;
    this.maxKeys = opts.maxKeys ?? FLOW_DEFAULTS.maxKeys;
  }

  get keyCount(): number {
    return this.tracks.size;
  }

  view(ctx: CallerContext, nowMs = Date.now()): SessionView {
    const track = this.current(historyKey(ctx).key, nowMs);
    if (!track) return { history: [], labels: [] };
    return { history: track.entries.slice(), labels: [...track.labels.keys()].sort() };
  }

  record(ctx: CallerContext, call: { server: string; tool: string; labels: readonly string[] }, nowMs = Date.now()): void {
    const { key, windowed } = historyKey(ctx);
    let track = this.current(key, nowMs);
    if (!track) {
      track = { entries: [], labels: new Map(), windowed };
      this.tracks.set(key, track);
      if (this.tracks.size > this.maxKeys) this.tracks.delete(this.tracks.keys().next().value!);
    }
    track.entries.push({ server: call.server, tool: call.tool, labels: [...call.labels], at_ns: nowMs * 1e6 });
    if (track.entries.length > this.size) track.entries.splice(0, track.entries.length - this.size);
    for (const l of call.labels) if (track.labels.has(l) || track.labels.size < MAX_LABELS) track.labels.set(l, nowMs);
  }

  /** The session or connection ended: its history goes with it. */
  forget(connectionId: string): void {
    this.tracks.delete(`connection:${connectionId}`);
  }

  /** The track under `key`, most recently used now, with what fell out of its window dropped. */
  private current(key: string, nowMs: number): Track | undefined {
    const track = this.tracks.get(key);
    if (!track) return undefined;
    this.tracks.delete(key);
    if (track.windowed) {
      const since = nowMs - this.windowMs;
      track.entries = track.entries.filter((e) => e.at_ns / 1e6 >= since);
      for (const [l, at] of track.labels) if (at < since) track.labels.delete(l);
      if (track.entries.length === 0 && track.labels.size === 0) return undefined;
    }
    this.tracks.set(key, track);
    return track;
  }
}
