import type { ClientRelay } from './types.js';

/** Client capability a downstream client must have declared for each upstream→client method. */
const CAPABILITY_OF: Record<string, string> = {
  'sampling/createMessage': 'sampling',
  'elicitation/create': 'elicitation',
  'roots/list': 'roots',
};

export const RELAYED_METHODS = Object.keys(CAPABILITY_OF);

export type RelayChoice = { relay: ClientRelay } | { refuse: string };

/** The capability check every relay goes through, attributed or not. */
export function admit(relay: ClientRelay | undefined, method: string): RelayChoice {
  if (!relay) return { refuse: 'the calling client cannot receive upstream requests' };
  const cap = CAPABILITY_OF[method];
  if (relay.capabilities !== undefined && cap !== undefined && relay.capabilities[cap] === undefined) {
    return { refuse: `the calling client did not declare the "${cap}" capability` };
  }
  return { relay };
}

interface Call {
  relay: ClientRelay | undefined;
  /** A call of another client was in flight at some point of this one's life. */
  mixed: boolean;
}

/**
 * Decides which downstream client gets an upstream's request to "the
 * client" (sampling, elicitation, roots) when the transport cannot say which
 * call it belongs to (stdio, legacy SSE: one channel for everything).
 * Where the transport can say (a request inside one call's HTTP answer
 * stream), that call's relay is used directly (`admit`), never this.
 *
 * The rule: relay only when the answer is unambiguous. The calls in flight
 * on this upstream are all one client's, and no call of another client was
 * in flight at any time during their lives (so a request left over from an earlier, overlapping call
 * of another client cannot land on it). Anything else is refused with a
 * JSON-RPC error. A security gateway never sends one client's sampling
 * request (or its roots or elicitation) to another client, and never guesses.
 */
export class RelayRouter {
  private readonly inFlight = new Map<number, Call>();
  /**
   * Calls that ended without their answer (timed out, cancelled, failed),
   * until when: the upstream may still be working on them, and send a
   * request that belongs to them after they ended.
   */
  private readonly unfinished = new Map<number, { relay: ClientRelay | undefined; until: number }>();
  private next = 0;

  /** `graceMs`: how long a call that ended without its answer may still have requests coming (its timeout). */
  constructor(private readonly graceMs = 60_000, private readonly now: () => number = Date.now) {}

  /** Registers a call; returns the function that ends it (`answered`: the upstream answered it). */
  begin(relay: ClientRelay | undefined): (answered: boolean) => void {
    const id = this.next++;
    const call: Call = { relay, mixed: false };
    for (const c of this.inFlight.values()) {
      if (c.relay === relay) continue;
      c.mixed = true;
      call.mixed = true;
    }
    this.inFlight.set(id, call);
    return (answered) => {
      this.inFlight.delete(id);
      if (!answered) this.unfinished.set(id, { relay, until: this.now() + this.graceMs });
    };
  }

  choose(method: string): RelayChoice {
    const now = this.now();
    for (const [id, u] of this.unfinished) if (u.until <= now) this.unfinished.delete(id);
    const calls = [...this.inFlight.values()];
    if (calls.length === 0) return { refuse: 'no call in flight on this upstream to relay the request to' };
    if (new Set(calls.map((c) => c.relay)).size > 1) return { refuse: 'calls from several clients are in flight; the request cannot be attributed to one' };
    if (calls.some((c) => c.mixed)) return { refuse: 'a call of another client overlapped this one; the request cannot be attributed to one' };
    if ([...this.unfinished.values()].some((u) => u.relay !== calls[0]!.relay)) {
      return { refuse: 'a call of another client ended without its answer recently; the request may be its' };
    }
    return admit(calls[0]!.relay, method);
  }
}
