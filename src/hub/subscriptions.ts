// Resource subscriptions: which connected clients want `resources/updated`
// for which URI, and whether the hub itself is subscribed upstream. One
// upstream subscription per URI, however many clients share it.

export class SubscriptionTable {
  /** uri -> { server, connection ids } */
  private readonly byUri = new Map<string, { server: string; clients: Set<string> }>();

  /** Adds a subscriber; true when it is the first for this URI (subscribe upstream). */
  add(uri: string, server: string, client: string): boolean {
    let sub = this.byUri.get(uri);
    if (!sub) {
      sub = { server, clients: new Set() };
      this.byUri.set(uri, sub);
    }
    const first = sub.clients.size === 0;
    sub.clients.add(client);
    return first;
  }

  /** Removes a subscriber; true when it was the last (unsubscribe upstream). */
  remove(uri: string, client: string): boolean {
    const sub = this.byUri.get(uri);
    if (!sub || !sub.clients.delete(client)) return false;
    if (sub.clients.size > 0) return false;
    this.byUri.delete(uri);
    return true;
  }

  /** Drops every subscription of a client; returns the URIs nobody watches any more. */
  removeClient(client: string): { uri: string; server: string }[] {
    const orphaned: { uri: string; server: string }[] = [];
    for (const [uri, sub] of this.byUri) {
      if (sub.clients.delete(client) && sub.clients.size === 0) {
        this.byUri.delete(uri);
        orphaned.push({ uri, server: sub.server });
      }
    }
    return orphaned;
  }

  hasClient(client: string): boolean {
    for (const sub of this.byUri.values()) if (sub.clients.has(client)) return true;
    return false;
  }

  subscribers(uri: string, server: string): ReadonlySet<string> {
    const sub = this.byUri.get(uri);
    return sub && sub.server === server ? sub.clients : EMPTY;
  }
}

const EMPTY: ReadonlySet<string> = new Set();
