import type { ProgressUpdate } from './types.js';

type Message = { method?: unknown; params?: unknown };

/**
 * Progress notifications taken from the transport in wire order. The SDK
 * dispatches notifications a microtask after responses, so an update that
 * arrives in the same read as the result would reach a handler the response
 * already removed, and be lost. The tap sees every message first,
 * synchronously, and calls the listener of its own progress token.
 */
export class ProgressTap {
  private readonly listeners = new Map<string, (p: ProgressUpdate) => void>();
  private next = 0;

  /** Registers a listener; returns the progress token to send and a function that unregisters it. */
  open(listener: (p: ProgressUpdate) => void): { token: string; close: () => void } {
    const token = `hatago-progress-${++this.next}`;
    this.listeners.set(token, listener);
    return { token, close: () => this.listeners.delete(token) };
  }

  /** Inspects one inbound message (install as the transport's onmessage before connecting). */
  observe(message: unknown): void {
    const m = message as Message;
    if (m?.method !== 'notifications/progress' || typeof m.params !== 'object' || m.params === null) return;
    const { progressToken, progress, total, message: text } = m.params as Record<string, unknown>;
    const listener = typeof progressToken === 'string' ? this.listeners.get(progressToken) : undefined;
    if (!listener || typeof progress !== 'number') return;
    listener({ progress, ...(typeof total === 'number' && { total }), ...(typeof text === 'string' && { message: text }) });
  }
}
