// The hub's side of pinning: on every catalog (start, list_changed) and
// whenever the pin file changed on disk (the CLI approved or revoked), each
// tool, prompt and resource template definition is compared with its pin.
// First sight records a pin; a differing definition is recorded as pending
// (and audited once per digest). The facts go to the policy, which decides.

import type { AggregatedCatalog, ExposedEntry, ExposedList } from '../hub/catalog.js';
import type { DefinitionFact, HubLogger, ListCandidate } from '../hub/types.js';
import type { SecurityEvent, SecurityEventSink } from '../pipeline/security-events.js';
import type { McpItem } from '../upstreams/types.js';
import { definitionDigest, definitionOf, type PinnedKind } from './definition.js';
import type { PinBackend } from './pin-backend.js';
import { pinKey, type PinFileData, type PinRecord } from './pin-file.js';

/** What the hub asks of pinning (src/hub/hub.ts). */
export interface DefinitionPins {
  /** A new catalog: compare, record, audit. */
  observe(cat: AggregatedCatalog): void;
  /** Re-reads the store when it changed on disk (one stat per call). */
  refresh(): void;
  /** The facts of one exposed entry; undefined for kinds that are not pinned (resources). */
  fact(entry: ExposedEntry): DefinitionFact | undefined;
  /** A list's candidates with their facts (cached until the facts change). */
  candidates(list: ExposedList): ListCandidate[];
}

export interface PinRegistryOptions {
  /** The store: a file (FilePinBackend) or Redis (RedisPinBackend). */
  backend: PinBackend;
  maxEntries: number;
  events: SecurityEventSink;
  logger: HubLogger;
}

interface Seen {
  digest: string;
  definition: Record<string, unknown>;
}

const pinned = (kind: string): kind is PinnedKind => kind === 'tool' || kind === 'prompt' || kind === 'resourceTemplate';

export class PinRegistry implements DefinitionPins {
  private records = new Map<string, PinRecord>();
  private stamp: string | null = null;
  private catalog: AggregatedCatalog | undefined;
  private readonly seen = new WeakMap<McpItem, Seen>();
  private facts = new Map<ExposedEntry, DefinitionFact>();
  private mentions = new Map<ExposedEntry, string[]>();
  private readonly listCache = new WeakMap<ExposedList, { facts: Map<ExposedEntry, DefinitionFact>; candidates: ListCandidate[] }>();
  private warnedFull = false;

  /** Throws PinFileError when the store exists but cannot be read: the hub does not start on a broken store. */
  constructor(private readonly opts: PinRegistryOptions) {
    this.load(opts.backend.read());
    this.stamp = opts.backend.stamp();
  }

  observe(cat: AggregatedCatalog): void {
    this.catalog = cat;
    this.mentions = mentionsOf(cat.tools);
    this.reconcile();
  }

  refresh(): void {
    let stamp: string | null;
    try {
      stamp = this.opts.backend.stamp();
    } catch (err) {
      this.opts.logger.error('pin store cannot be read; keeping the pins last read', { store: this.opts.backend.where, error: String(err) });
      return;
    }
    if (stamp !== this.stamp) this.reconcile();
  }

  fact(entry: ExposedEntry): DefinitionFact | undefined {
    return this.facts.get(entry);
  }

  candidates(list: ExposedList): ListCandidate[] {
    const cached = this.listCache.get(list);
    if (cached && cached.facts === this.facts) return cached.candidates;
    // Frozen, like the catalogue's: serialised once by the policy's input encoder until the facts change.
    const candidates = Object.freeze(list.entries.map((e) => {
      const definition = this.facts.get(e);
      return definition ? { ...e.candidate, definition } : e.candidate;
    })) as ListCandidate[];
    this.listCache.set(list, { facts: this.facts, candidates });
    return candidates;
  }

  private load(data: PinFileData): void {
    this.records = new Map(data.pins.map((r) => [pinKey(r.server, r.kind, r.name), r]));
  }

  private seenOf(e: ExposedEntry): Seen {
    let s = this.seen.get(e.item);
    if (!s) {
      // The upstream's own name: a prefix in the config is no change of the definition.
      const definition = definitionOf(e.candidate.kind === 'tool' || e.candidate.kind === 'prompt' ? { ...e.item, name: e.local } : e.item);
      s = { digest: definitionDigest(definition), definition };
      this.seen.set(e.item, s);
    }
    return s;
  }

  /** Reads the store, records what is new or changed, drains the CLI's journal into the audit trail, writes once. */
  private reconcile(): void {
    const cat = this.catalog;
    const events: SecurityEvent[] = [];
    try {
      const data = this.opts.backend.read();
      let dirty = false;
      const records = new Map(data.pins.map((r) => [pinKey(r.server, r.kind, r.name), r]));
      const now = new Date().toISOString();
      for (const e of cat ? entriesOf(cat) : []) {
        const kind = e.candidate.kind as PinnedKind;
        const { digest, definition } = this.seenOf(e);
        const key = pinKey(e.server, kind, e.local);
        const rec = records.get(key);
        if (!rec) {
          if (data.pins.length >= this.opts.maxEntries) {
            if (!this.warnedFull) this.opts.logger.warn('pin store is full (security.pinning.maxEntries): new definitions are not recorded', { store: this.opts.backend.where, maxEntries: this.opts.maxEntries });
            this.warnedFull = true;
            continue;
          }
          const added: PinRecord = { server: e.server, kind, name: e.local, digest, definition, approved: false, first_seen: now };
          data.pins.push(added);
          records.set(key, added);
          dirty = true;
        } else if (rec.digest === digest) {
          // Back at the pin (or another hub of a shared store sees the old one): the status is the pin's again.
          // A pending change stays for the operator: clearing it here would make two hubs undo each other's writes.
        } else if (rec.pending?.digest !== digest) {
          rec.pending = { digest, definition, seen_at: now };
          dirty = true;
          events.push({
            event: 'definition_changed',
            level: 'warn',
            metadata: { server: e.server, kind, name: e.local, pinned_digest: rec.digest, digest },
          });
        }
      }
      for (const j of data.journal.splice(0)) {
        dirty = true;
        events.push({ event: j.event, user: j.by, metadata: { server: j.server, kind: j.kind, name: j.name, pinned_digest: j.pinned_digest, digest: j.digest, at: j.at } });
      }
      // Read and written in one synchronous step: a CLI write can only land before or after it.
      if (dirty) this.opts.backend.write(data);
      this.stamp = this.opts.backend.stamp();
      this.records = records;
    } catch (err) {
      this.opts.logger.error('pin store cannot be read or written; keeping the pins last read', { store: this.opts.backend.where, error: String(err) });
    }
    for (const ev of events) {
      this.opts.events(ev).catch((err: unknown) => this.opts.logger.error('audit record of a definition event failed', { event: ev.event, error: String(err) }));
    }
    if (cat) this.facts = this.factsOf(cat);
  }

  private factsOf(cat: AggregatedCatalog): Map<ExposedEntry, DefinitionFact> {
    const facts = new Map<ExposedEntry, DefinitionFact>();
    for (const e of entriesOf(cat)) {
      const { digest } = this.seenOf(e);
      const rec = this.records.get(pinKey(e.server, e.candidate.kind, e.local));
      const status: DefinitionFact['status'] = !rec ? 'new' : rec.digest !== digest ? 'changed' : rec.approved ? 'pinned' : 'new';
      facts.set(e, {
        status,
        pinned_digest: rec?.digest ?? null,
        digest,
        // Approved definitions are not scanned: leaving their text out keeps list inputs small.
        description: status !== 'pinned' && typeof e.item.description === 'string' ? e.item.description : null,
        mentions: this.mentions.get(e) ?? [],
      });
    }
    return facts;
  }
}

function* entriesOf(cat: AggregatedCatalog): Generator<ExposedEntry> {
  for (const list of [cat.tools, cat.prompts, cat.resourceTemplates]) {
    for (const e of list.entries) if (pinned(e.candidate.kind)) yield e;
  }
}

const NAME_CHAR = /[A-Za-z0-9_-]/;

/** Other servers' exposed tool names each tool's description names (cross-server shadowing facts). */
function mentionsOf(tools: ExposedList): Map<ExposedEntry, string[]> {
  const out = new Map<ExposedEntry, string[]>();
  for (const e of tools.entries) {
    const d = e.item.description;
    if (typeof d !== 'string' || d.length === 0) continue;
    const named: string[] = [];
    for (const other of tools.entries) {
      if (other.server === e.server) continue;
      if (namesWord(d, other.exposed)) named.push(other.exposed);
    }
    if (named.length > 0) out.set(e, named);
  }
  return out;
}

/** `name` occurs in `text` as a whole identifier (not inside a longer one). */
function namesWord(text: string, name: string): boolean {
  for (let i = text.indexOf(name); i >= 0; i = text.indexOf(name, i + 1)) {
    const before = text[i - 1];
    const after = text[i + name.length];
    if ((before === undefined || !NAME_CHAR.test(before)) && (after === undefined || !NAME_CHAR.test(after))) return true;
  }
  return false;
}
