import http from 'node:http';
import https from 'node:https';
import { ResponseTooLargeError, type ResponseLimits } from './response-limits.js';
import { SseParser } from './sse-parser.js';
import { traceHeaders } from './call-context.js';

/**
 * The wire of a Streamable HTTP upstream's 2025-era session, for the SDK
 * client (http-session-transport.ts): one POST per message over a keep-alive
 * Agent, the answer read as one JSON body or as an SSE stream parsed
 * incrementally, within the upstream's answer bounds. It matches nothing:
 * every message of an answer goes to `onMessage` in wire order, and the SDK
 * client's protocol layer does the rest (ids, timeouts, cancellation).
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

/** Session headers, read at send time. */
export interface HttpSession {
  sessionId: string | undefined;
  protocolVersion: string | undefined;
}

/** The upstream answered with an HTTP error status. */
export class HttpStatusError extends Error {
  readonly status: number;
  constructor(status: number, text: string, what = 'POSTing to endpoint') {
    super(`Error ${what} (HTTP ${status})${text ? `: ${text}` : ''}`);
    this.name = 'HttpStatusError';
    this.status = status;
  }
}

/** The exchange failed in a way that says the transport broke (closed stream, bad content type...). */
export class HttpTransportError extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'HttpTransportError';
  }
}

const MAX_ERROR_BODY = 512;
/** Sockets one upstream gets from the hub at most. */
const MAX_SOCKETS = 256;
/** How long an upstream has to acknowledge what we POST it without expecting an answer. */
const NOTIFY_TIMEOUT_MS = 10_000;
/** An SSE stream that stays open after our answer is closed after this long. */
const LINGER_MS = 10_000;
/** Times one answer stream that dropped is resumed with Last-Event-ID before the call fails. */
export const MAX_RESUMES = 2;
/** Wait before a resume (the upstream's `retry:` is not honoured: the call's own timeout keeps running). */
const RESUME_DELAY_MS = 100;

export class KeepAliveHttp {
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
   * POSTs `message` (a JSON-RPC request with id `id`) and resolves once the
   * response carrying that id went to `onMessage`, like every other message
   * of the answer, synchronously and in wire order. An SSE answer that drops
   * before the response is resumed with Last-Event-ID (GET) when the
   * upstream gave its events ids, at most MAX_RESUMES times. Aborting
   * `signal` destroys the exchange.
   */
  exchange(id: JsonRpcId, message: unknown, session: HttpSession, signal: AbortSignal, onMessage: (m: JsonRpcMessage) => void): Promise<void> {
    const body = JSON.stringify(message);
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      let req: http.ClientRequest | undefined;
      let resumeTimer: NodeJS.Timeout | undefined;
      const finish = (err: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(resumeTimer);
        signal.removeEventListener('abort', onAbort);
        if (err === undefined) resolve();
        else reject(err);
      };
      const onAbort = () => {
        req?.destroy();
        finish(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      let resumes = 0;
      const answer: AnswerState = { received: 0, events: 0 };
      const deliver = (m: JsonRpcMessage): boolean => {
        const ours = m.id === id && m.method === undefined && ('result' in m || 'error' in m);
        onMessage(m);
        if (ours) finish(undefined);
        return ours;
      };
      // A dropped SSE answer: resumed from its last event id, or the call fails with what broke.
      const dropped = (err: HttpTransportError, lastEventId: string | undefined) => {
        if (settled) return;
        if (lastEventId === undefined || resumes >= MAX_RESUMES) return finish(err);
        resumes++;
        resumeTimer = setTimeout(() => {
          if (settled) return;
          req = this.resume(lastEventId, session, (res) => {
            if ((res.statusCode ?? 0) >= 300 || !isEventStream(res)) {
              res.resume();
              return finish(err);
            }
            this.readEvents(res, call);
          });
          req.on('error', () => finish(err));
        }, RESUME_DELAY_MS);
      };

      const call: Call = { answer, deliver, finish, dropped, settled: () => settled };

      const send = (retry: boolean) => {
        let answered = false;
        const r = this.post(body, session, (res) => {
          answered = true;
          this.read(res, call);
        });
        req = r;
        r.on('error', (err: NodeJS.ErrnoException) => {
          // A kept-alive socket the server closed while idle: resend once, nothing reached it.
          if (!answered && retry && r.reusedSocket && err.code === 'ECONNRESET' && !settled) {
            send(false);
            return;
          }
          finish(settled ? undefined : new HttpTransportError(err.message, err));
        });
      };
      send(true);
    });
  }

  /** POSTs a message that needs no answer but 202 (a response to the upstream, a notification). */
  notify(message: unknown, session: HttpSession): Promise<void> {
    const body = JSON.stringify(message);
    return new Promise<void>((resolve, reject) => {
      const req = this.post(body, session, (res) => {
        res.resume();
        res.on('end', () => ((res.statusCode ?? 0) < 300 ? resolve() : reject(new HttpStatusError(res.statusCode ?? 0, ''))));
        res.on('error', reject);
      });
      req.on('error', reject);
      // An upstream that never answers a notification or a response we sent does not keep the socket.
      req.setTimeout(NOTIFY_TIMEOUT_MS, () => req.destroy(new Error('upstream did not acknowledge within 10 s')));
    });
  }

  private baseHeaders(session: HttpSession): Record<string, string | number> {
    const headers: Record<string, string | number> = { ...this.headers };
    if (session.sessionId !== undefined) headers['mcp-session-id'] = session.sessionId;
    if (session.protocolVersion !== undefined) headers['mcp-protocol-version'] = session.protocolVersion;
    return headers;
  }

  private post(body: string, session: HttpSession, onResponse: (res: http.IncomingMessage) => void): http.ClientRequest {
    const headers = {
      ...this.baseHeaders(session),
      ...traceHeaders(),
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'content-length': Buffer.byteLength(body),
    };
    const req = this.mod.request(this.url, { method: 'POST', agent: this.agent, headers }, onResponse);
    req.end(body);
    return req;
  }

  /** The GET that resumes an answer stream after `lastEventId` (Streamable HTTP, "Resumability and Redelivery"). */
  private resume(lastEventId: string, session: HttpSession, onResponse: (res: http.IncomingMessage) => void): http.ClientRequest {
    const headers = { ...this.baseHeaders(session), accept: 'text/event-stream', 'last-event-id': lastEventId };
    const req = this.mod.request(this.url, { method: 'GET', agent: this.agent, headers }, onResponse);
    req.end();
    return req;
  }

  private read(res: http.IncomingMessage, call: Call): void {
    const { finish } = call;
    const status = res.statusCode ?? 0;
    res.setEncoding('utf8');
    // An SSE answer that breaks may be resumed (readEvents); anything else that breaks fails the call.
    if (!isEventStream(res) || status < 200 || status >= 300) res.on('error', (err) => finish(new HttpTransportError(err.message, err)));
    if (status < 200 || status >= 300) {
      let text = '';
      res.on('data', (c: string) => {
        if (text.length < MAX_ERROR_BODY) text += c;
      });
      res.on('end', () => finish(new HttpStatusError(status, text.slice(0, MAX_ERROR_BODY).trim())));
      return;
    }
    const type = (res.headers['content-type'] ?? '').toLowerCase();
    if (type.startsWith('application/json')) return this.readJson(res, call);
    if (!isEventStream(res)) {
      res.resume();
      finish(new HttpTransportError(`unexpected content type from upstream: ${type || 'none'} (HTTP ${status})`));
      return;
    }
    this.readEvents(res, call);
  }

  private readJson(res: http.IncomingMessage, { deliver, finish, settled }: Call): void {
    const max = this.limits.maxResponseBytes;
    const parts: string[] = [];
    let received = 0;
    res.on('data', (c: string) => {
      received += Buffer.byteLength(c);
      if (received > max) return overflow(res, finish, received, `${max} bytes`);
      parts.push(c);
    });
    res.on('end', () => {
      if (settled()) return;
      let parsed: unknown;
      try {
        parsed = JSON.parse(parts.join(''));
      } catch (err) {
        finish(new HttpTransportError('upstream sent invalid JSON', err));
        return;
      }
      const messages = (Array.isArray(parsed) ? parsed : [parsed]) as JsonRpcMessage[];
      if (messages.length > this.limits.maxResponseEvents) return overflow(res, finish, received, `${this.limits.maxResponseEvents} messages`);
      let answered = false;
      for (const m of messages) if (m !== null && typeof m === 'object' && deliver(m)) answered = true;
      if (!answered) finish(new HttpTransportError('upstream JSON answer did not carry the response'));
    });
  }

  /** An SSE answer (the POST's, or a resumed one): bytes and events count against one bound across resumes. */
  private readEvents(res: http.IncomingMessage, { answer, deliver, finish, dropped, settled }: Call): void {
    res.setEncoding('utf8');
    const max = this.limits.maxResponseBytes;
    let linger: NodeJS.Timeout | undefined;
    const parser = new SseParser((event, data) => {
      if (event !== 'message' || settled()) return;
      if (++answer.events > this.limits.maxResponseEvents) return overflow(res, finish, answer.received, `${this.limits.maxResponseEvents} events`);
      let m: JsonRpcMessage;
      try {
        m = JSON.parse(data) as JsonRpcMessage;
      } catch {
        return; // the SDK's transport drops unparseable events too (onerror)
      }
      if (m === null || typeof m !== 'object') return;
      if (deliver(m)) {
        // The server ends the stream after the answer; one that does not loses the socket.
        linger = setTimeout(() => res.destroy(), LINGER_MS);
        linger.unref();
      }
    }, max, (bytes) => overflow(res, finish, bytes, `${max} bytes in one event`));
    res.on('data', (c: string) => {
      if (settled()) return;
      answer.received += Buffer.byteLength(c);
      if (answer.received > max) return overflow(res, finish, answer.received, `${max} bytes`);
      parser.push(c);
    });
    // The first of end, error and close says how the stream stopped; the others add nothing.
    let stopped = false;
    const stop = (how: string, cause?: unknown) => {
      clearTimeout(linger);
      if (stopped) return;
      stopped = true;
      // The usual end of a call's stream, after its answer: nothing broke, no error to build.
      if (settled()) return;
      dropped(new HttpTransportError(`upstream SSE stream ${how} before the response`, cause), parser.lastEventId);
    };
    res.on('end', () => stop('ended'));
    res.on('error', (err) => stop('closed', err));
    res.on('close', () => stop('closed'));
  }
}

/** What one call's answer used of its bounds so far (kept across resumed streams). */
interface AnswerState {
  received: number;
  events: number;
}

/** One call's answer as its readers see it: its bounds so far and what to do with what arrives. */
interface Call {
  answer: AnswerState;
  /** Hands a message on; true when it is the call's response. */
  deliver: (m: JsonRpcMessage) => boolean;
  finish: (err: unknown) => void;
  /** An SSE answer broke: resumed from its last event id, or the call fails. */
  dropped: (err: HttpTransportError, lastEventId: string | undefined) => void;
  settled: () => boolean;
}

function isEventStream(res: http.IncomingMessage): boolean {
  return (res.headers['content-type'] ?? '').toLowerCase().startsWith('text/event-stream');
}

function overflow(res: http.IncomingMessage, finish: (err: unknown) => void, bytes: number, limit: string): void {
  res.destroy();
  finish(new ResponseTooLargeError(bytes, limit));
}
