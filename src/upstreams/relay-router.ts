import type { ClientRelay } from './types.js';

/** Client capability a downstream client must have declared for each upstream→client method. */
const CAPABILITY_OF: Record<string, string> = {
  'sampling/createMessage': 'sampling',
  'elicitation/create': 'elicitation',
  'roots/list': 'roots',
};

export const RELAYED_METHODS = Object.keys(CAPABILITY_OF);

export type RelayChoice = { relay: ClientRelay } | { refuse: string };

/**
 * Decides which downstream client gets an upstream's request to "the
 * client" (sampling, elicitation, roots).
 *
 * The rule: neither MCP transport tells the client which of its pending
 * calls a server→client request belongs to, so we relay only when the
 * answer is unambiguous: every call in flight on this upstream carries the
 * SAME relay (one downstream client). No call in flight, a call without a
 * relay, or calls from two different relays mean refusal with a JSON-RPC
 * error. A security gateway never sends one client's sampling request (or
 * its roots or elicitation) to another client, and never guesses.
 * A relay whose declared capabilities lack the method is refused too.
 */
export class RelayRouter {
  private readonly inFlight = new Map<number, ClientRelay | undefined>();
  private next = 0;

  /** Registers a call; returns the function that ends it. */
  begin(relay: ClientRelay | undefined): () => void {
    const id = this.next++;
    this.inFlight.set(id, relay);
    return () => this.inFlight.delete(id);
  }

  choose(method: string): RelayChoice {
    const relays = new Set(this.inFlight.values());
    if (relays.size === 0) return { refuse: 'no call in flight on this upstream to relay the request to' };
    if (relays.size > 1) return { refuse: 'calls from several clients are in flight; the request cannot be attributed to one' };
    const [relay] = relays;
    if (!relay) return { refuse: 'the calling client cannot receive upstream requests' };
    const cap = CAPABILITY_OF[method];
    if (relay.capabilities !== undefined && cap !== undefined && relay.capabilities[cap] === undefined) {
      return { refuse: `the calling client did not declare the "${cap}" capability` };
    }
    return { relay };
  }
}
