import http from 'node:http';
import https from 'node:https';
import { LineSplitter } from '../util/line-splitter.js';
import { ResponseTooLargeError, type ResponseLimits } from './response-limits.js';

/**
 * A lean JSON-RPC exchange with a Streamable HTTP upstream (2025-era
 * sessions): one POST over a keep-alive Agent, the answer read as one JSON
 * body or as an SSE stream parsed incrementally. The SDK client stays in
 * charge of everything else (initialize, session id, the GET stream,
 * listing, reconnects); this only carries forwarded requests, which is where
 * the SDK's per-call cost (fetch, web streams, validation) showed.
 */

export type JsonRpcId = string | number;

export interface JsonRpcMessage {
  jsonrpc?: unknown;
  id?: JsonRpcId | null;
  method?: unknown;
  params?: unknown;
  result?: unknown;
  error?: { code?: unknown; message?: unknown; data?: unknown };
}

/** Session headers taken from the SDK transport at call time. */
export interface FastSession {
  sessionId: string | undefined;
  protocolVersion: string | undefined;
}

/** The upstream answered the POST with an HTTP error status. */
export class FastHttpStatusError extends Error {
  readonly status: number;
  constructor(status: number, text: string) {
    super(`Error POSTing to endpoint (HTTP ${status})${text ? `: ${text}` : ''}`);
    this.name = 'FastHttpStatusError';
    this.status = status;
  }
}

/** The exchange failed in a way that says the transport broke (closed stream, bad content type...). */
export class FastHttpTransportError extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'FastHttpTransportError';
  }
}

const MAX_ERROR_BODY = 512;
/** Sockets one upstream gets from the hub at most. */
const MAX_SOCKETS = 256;
/** How long an upstream has to acknowledge what we POST it without expecting an answer. */
const NOTIFY_TIMEOUT_MS = 10_000;
/** An SSE stream that stays open after our answer is closed after this long. */
const LINGER_MS = 10_000;

export class FastHttpChannel {
  private readonly url: URL;
  private readonly headers: Record<string, string>;
  private readonly mod: typeof http | typeof https;
  private readonly agent: http.Agent;

  constructor(url: string, headers: Record<string, string> | undefined, private readonly limits: ResponseLimits) {
    this.url = new URL(url);
    this.headers = { ...headers };
    const secure = this.url.protocol === 'https:';
    this.mod = secure ? https : http;
    // Bounded: whatever an upstream makes the hub send, it holds at most this many sockets to it.
    const opts = { keepAlive: true, maxSockets: MAX_SOCKETS };
    this.agent = secure ? new https.Agent(opts) : new http.Agent(opts);
  }

  close(): void {
    this.agent.destroy();
  }

  /**
   * POSTs `message` (a JSON-RPC request with id `id`) and resolves with the
   * response carrying that id. Every other message of an SSE answer goes to
   * `onMessage`, synchronously and in wire order. Aborting `signal` destroys
   * the exchange (the caller sends notifications/cancelled).
   */
  exchange(id: JsonRpcId, message: unknown, session: FastSession, signal: AbortSignal, onMessage: (m: JsonRpcMessage) => void): Promise<JsonRpcMessage> {
    const body = JSON.stringify(message);
    return new Promise<JsonRpcMessage>((resolve, reject) => {
      let settled = false;
      const finish = (err: unknown, answer?: JsonRpcMessage) => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        if (err === undefined && answer) resolve(answer);
        else reject(err);
      };
      let req: http.ClientRequest | undefined;
      const onAbort = () => {
        req?.destroy();
        finish(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });

      const send = (retry: boolean) => {
        let answered = false;
        const r = this.post(body, session, (res) => {
          answered = true;
          this.read(res, id, onMessage, finish, () => settled);
        });
        req = r;
        r.on('error', (err: NodeJS.ErrnoException) => {
          // A kept-alive socket the server closed while idle: resend once, nothing reached it.
          if (!answered && retry && r.reusedSocket && err.code === 'ECONNRESET' && !settled) {
            send(false);
            return;
          }
          finish(settled ? undefined : new FastHttpTransportError(err.message, err));
        });
      };
      send(true);
    });
  }

  /** POSTs a message that needs no answer but 202 (a response to the upstream, a notification). */
  notify(message: unknown, session: FastSession): Promise<void> {
    const body = JSON.stringify(message);
    return new Promise<void>((resolve, reject) => {
      const req = this.post(body, session, (res) => {
        res.resume();
        res.on('end', () => ((res.statusCode ?? 0) < 300 ? resolve() : reject(new FastHttpStatusError(res.statusCode ?? 0, ''))));
        res.on('error', reject);
      });
      req.on('error', reject);
      // An upstream that never answers a notification or a response we sent does not keep the socket.
      req.setTimeout(NOTIFY_TIMEOUT_MS, () => req.destroy(new Error('upstream did not acknowledge within 10 s')));
    });
  }

  private post(body: string, session: FastSession, onResponse: (res: http.IncomingMessage) => void): http.ClientRequest {
    const headers: Record<string, string | number> = {
      ...this.headers,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'content-length': Buffer.byteLength(body),
    };
    if (session.sessionId !== undefined) headers['mcp-session-id'] = session.sessionId;
    if (session.protocolVersion !== undefined) headers['mcp-protocol-version'] = session.protocolVersion;
    const req = this.mod.request(this.url, { method: 'POST', agent: this.agent, headers }, onResponse);
    req.end(body);
    return req;
  }

  private read(
    res: http.IncomingMessage,
    id: JsonRpcId,
    onMessage: (m: JsonRpcMessage) => void,
    finish: (err: unknown, answer?: JsonRpcMessage) => void,
    settled: () => boolean,
  ): void {
    const status = res.statusCode ?? 0;
    res.setEncoding('utf8');
    res.on('error', (err) => finish(new FastHttpTransportError(err.message, err)));
    if (status < 200 || status >= 300) {
      let text = '';
      res.on('data', (c: string) => {
        if (text.length < MAX_ERROR_BODY) text += c;
      });
      res.on('end', () => finish(new FastHttpStatusError(status, text.slice(0, MAX_ERROR_BODY).trim())));
      return;
    }
    const type = (res.headers['content-type'] ?? '').toLowerCase();
    const isOurs = (m: JsonRpcMessage) => m.id === id && m.method === undefined && ('result' in m || 'error' in m);
    // Every byte of the answer counts against one bound; past it the exchange is dropped.
    const max = this.limits.maxResponseBytes;
    let received = 0;
    const overflow = (bytes: number, limit: string) => {
      res.destroy();
      finish(new ResponseTooLargeError(bytes, limit));
    };
    if (type.startsWith('application/json')) {
      const parts: string[] = [];
      res.on('data', (c: string) => {
        received += Buffer.byteLength(c);
        if (received > max) return overflow(received, `${max} bytes`);
        parts.push(c);
      });
      res.on('end', () => {
        if (settled()) return;
        let parsed: unknown;
        try {
          parsed = JSON.parse(parts.join(''));
        } catch (err) {
          finish(new FastHttpTransportError('upstream sent invalid JSON', err));
          return;
        }
        const messages = (Array.isArray(parsed) ? parsed : [parsed]) as JsonRpcMessage[];
        if (messages.length > this.limits.maxResponseEvents) return overflow(received, `${this.limits.maxResponseEvents} messages`);
        let answer: JsonRpcMessage | undefined;
        for (const m of messages) {
          if (m === null || typeof m !== 'object') continue;
          if (!answer && isOurs(m)) answer = m;
          else onMessage(m);
        }
        finish(answer ? undefined : new FastHttpTransportError('upstream JSON answer did not carry the response'), answer);
      });
      return;
    }
    if (!type.startsWith('text/event-stream')) {
      res.resume();
      finish(new FastHttpTransportError(`unexpected content type from upstream: ${type || 'none'} (HTTP ${status})`));
      return;
    }
    let linger: NodeJS.Timeout | undefined;
    let events = 0;
    const parser = new SseParser((event, data) => {
      if (event !== 'message' || settled()) return;
      if (++events > this.limits.maxResponseEvents) return overflow(received, `${this.limits.maxResponseEvents} events`);
      let m: JsonRpcMessage;
      try {
        m = JSON.parse(data) as JsonRpcMessage;
      } catch {
        return; // the SDK's transport drops unparseable events too (onerror)
      }
      if (m === null || typeof m !== 'object') return;
      if (isOurs(m)) {
        finish(undefined, m);
        // The server ends the stream after the answer; one that does not loses the socket.
        linger = setTimeout(() => res.destroy(), LINGER_MS);
        linger.unref();
        return;
      }
      onMessage(m);
    }, max, (bytes) => overflow(bytes, `${max} bytes in one event`));
    res.on('data', (c: string) => {
      if (settled()) return;
      received += Buffer.byteLength(c);
      if (received > max) return overflow(received, `${max} bytes`);
      parser.push(c);
    });
    res.on('end', () => {
      clearTimeout(linger);
      finish(new FastHttpTransportError('upstream SSE stream ended before the response'));
    });
    res.on('close', () => {
      clearTimeout(linger);
      finish(new FastHttpTransportError('upstream SSE stream closed before the response'));
    });
  }
}

/**
 * Incremental text/event-stream parser (WHATWG rules for the fields we use:
 * event, data), linear in the bytes pushed. An event whose data passes
 * `maxEventBytes` is not delivered: `onOversize` is called once for it and
 * its remaining lines are dropped until the blank line that ends it.
 */
export class SseParser {
  private event = '';
  private data: string[] = [];
  private dataBytes = 0;
  private hasData = false;
  private oversized = false;
  private pendingCR = false;
  private readonly lines: LineSplitter;

  constructor(
    private readonly onEvent: (event: string, data: string) => void,
    private readonly maxEventBytes = Number.MAX_SAFE_INTEGER,
    private readonly onOversize: (bytes: number) => void = () => undefined,
  ) {
    this.lines = new LineSplitter(maxEventBytes, (l) => this.line(l), (o) => this.tooLarge(o.bytes));
  }

  push(chunk: string): void {
    let s = chunk;
    // A CR ending the previous chunk already ended its line; a LF right after it belongs to it.
    if (this.pendingCR) {
      this.pendingCR = false;
      if (s.startsWith('\n')) s = s.slice(1);
    }
    if (s.includes('\r')) {
      this.pendingCR = s.endsWith('\r');
      s = s.replace(/\r\n?/g, '\n');
    }
    this.lines.push(s);
  }

  private tooLarge(bytes: number): void {
    if (!this.oversized) this.onOversize(bytes);
    this.oversized = true;
    this.data = [];
    this.hasData = false;
  }

  private line(line: string): void {
    if (line === '') {
      if (this.hasData && !this.oversized) this.onEvent(this.event || 'message', this.data.join('\n'));
      this.event = '';
      this.data = [];
      this.dataBytes = 0;
      this.hasData = false;
      this.oversized = false;
      return;
    }
    if (this.oversized || line.charCodeAt(0) === 58 /* ':' */) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32 /* ' ' */) value = value.slice(1);
    if (field === 'data') {
      this.dataBytes += value.length + 1;
      if (this.dataBytes > this.maxEventBytes) return this.tooLarge(this.dataBytes);
      this.data.push(value);
      this.hasData = true;
    } else if (field === 'event') this.event = value;
  }
}
