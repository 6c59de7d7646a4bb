// HTTP for the security console (docs/console.md), mounted at /console.
//   GET  /console/            the page (static, no data): network stage only
//   GET  /console/api/...     reads: network, authentication, then the
//                             policy's decision for method admin/console
//   POST /console/api/...     network, authentication, same origin + CSRF
//                             token, then the policy's decision (pin actions:
//                             admin/console/write; Explorer and replay, which
//                             change nothing: admin/console), then the body
//   .../api/approvals         held calls: reads also admin/approvals; a
//                             verdict is decided as POST /admin/approvals/:id
//                             (admin/approvals/decide, decideOutOfBand)
// Every answer carries a strict CSP; API answers are never cached.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type Request, type Response } from 'express';
import type { BreakerRegistryStatus } from '../breaker/index.js';
import type { ApprovalQueue } from '../approval/approval-queue.js';
import { decideOutOfBand, type AdminAdmit } from '../approval/out-of-band.js';
import { HatagoError } from '../errors/index.js';
import type { CallerContext, Principal } from '../hub/types.js';
import type { UpstreamStatus } from '../upstreams/types.js';
import { readJsonBody } from '../http/body.js';
import { writeHttpError, writeJson } from '../http/respond.js';
import type { Logger } from '../log/logger.js';
import { callerOf, type HttpExchange } from '../pipeline/http-exchange.js';
import { StageRunner, type Stage, type StageObserver } from '../pipeline/stage.js';
import { approvePins, revokePins } from '../pinning/approve.js';
import { definitionDiff } from '../pinning/diff.js';
import type { PinBackend } from '../pinning/pin-backend.js';
import { MAX_JOURNAL, PinFileError, type PinRecord } from '../pinning/pin-file.js';
import type { DefinitionPins } from '../pinning/registry.js';
import { decisionJson } from '../policy/decision-json.js';
import { decisionInputOf } from '../policy/decision-log/record.js';
import type { PolicyEngine } from '../policy/engine.js';
import type { PolicyLifecycleStatus } from '../policy/lifecycle/index.js';
import { replayDiff } from '../policy/replay-diff.js';
import { differingFields } from '../policy/shadow/compare.js';
import type { ShadowPolicy } from '../policy/shadow/index.js';
import type { PolicyDecision } from '../policy/types.js';
import { packagePath } from '../util/package-root.js';
import { ActiveRules, CandidateBundles } from './candidates.js';
import { CsrfTokens } from './csrf.js';
import type { DecisionFilter } from './decision-feed.js';
import { locate, type RuleIndex } from './rule-sources.js';
import type { SecurityConsole } from './security-console.js';

export const CONSOLE_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CONSOLE_CSP,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=()',
};
const API_HEADERS = { ...SECURITY_HEADERS, 'Cache-Control': 'no-store' };

/** The page's files, read once; a URL can only name one of these (no path from the URL reaches the file system). */
const ASSETS: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'console.css': 'text/css; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'api.js': 'text/javascript; charset=utf-8',
  'dom.js': 'text/javascript; charset=utf-8',
  'views.js': 'text/javascript; charset=utf-8',
  'approvals.js': 'text/javascript; charset=utf-8',
};
export const CONSOLE_ASSET_DIR = packagePath('ui', 'console');

export interface ConsoleRouteDeps {
  console: SecurityConsole;
  /** The network and authentication stages of /mcp. */
  front: readonly Stage<HttpExchange>[];
  /** Hub.admit: the policy and rate-limit stages for a runtime method (with its facts: admin/approvals/decide). */
  admit: AdminAdmit;
  /** Calls held for approval (docs/approvals.md). */
  approvals: ApprovalQueue;
  tokenStatus: (p: Principal) => Promise<'ok' | 'expired' | 'revoked'>;
  policy: { current(): PolicyEngine; status(): PolicyLifecycleStatus };
  shadow: ShadowPolicy | undefined;
  runtimeData: object;
  upstreams: () => UpstreamStatus[];
  breakers: () => BreakerRegistryStatus;
  pins: { backend: PinBackend; registry: DefinitionPins } | undefined;
  observeStages?: StageObserver<unknown>;
  logger: Logger;
}

interface Admitted {
  principal: Principal | null;
  ctx: CallerContext;
  headers: Record<string, string>;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const invalid = (message: string): HatagoError => new HatagoError('ERR_CONSOLE_REQUEST_INVALID', { message: `Invalid console request: ${message}` });
const queryString = (v: unknown): string | undefined => (typeof v === 'string' ? v.slice(0, 200) : undefined);

export function consoleRouter(deps: ConsoleRouteDeps): express.Router {
  const { console: sc, logger } = deps;
  const opts = sc.options;
  const assets = new Map(Object.entries(ASSETS).map(([name, type]) => [name, { type, body: readFileSync(path.join(CONSOLE_ASSET_DIR, name)) }]));
  const frontStages = new StageRunner<HttpExchange>(deps.front, logger);
  const networkStages = new StageRunner<HttpExchange>(deps.front.filter((s) => s.name === 'network'), logger);
  for (const r of [frontStages, networkStages]) if (deps.observeStages) r.observe(deps.observeStages);
  const csrf = new CsrfTokens();
  const candidates = new CandidateBundles({ dir: opts.candidatesDir, shadow: deps.shadow, runtimeData: deps.runtimeData });
  const activeRules = new ActiveRules(() => deps.policy.status());

  /** The network and authentication stages, and for a write the same-origin and CSRF check; no policy decision yet. */
  async function caller(req: IncomingMessage, res: ServerResponse, write: boolean): Promise<Admitted> {
    const x: HttpExchange = { req, res };
    await frontStages.run(x);
    const base = callerOf(x);
    if (write) csrf.check(base.principal, req);
    const headers: Record<string, string> = {};
    const ctx: CallerContext = { transport: 'http', protocolVersion: 'none', client: base.client, principal: base.principal, responseHeaders: headers };
    return { principal: base.principal, ctx, headers };
  }

  async function admitted(req: IncomingMessage, res: ServerResponse, method: string, write = false): Promise<Admitted> {
    const a = await caller(req, res, write);
    await deps.admit(a.ctx, method);
    return a;
  }

  const fail = (res: ServerResponse, err: unknown, what: string) => {
    if (!(err instanceof HatagoError)) logger.error(`unexpected error on ${what}`, { component: 'console', error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    if (res.headersSent) {
      if (!res.writableEnded) res.end();
      return;
    }
    for (const [k, v] of Object.entries(API_HEADERS)) res.setHeader(k, v);
    writeHttpError(res, err);
  };

  /** A read: admitted as admin/console, answered as JSON. */
  const read = (what: string, answer: (req: Request, a: Admitted) => Promise<unknown> | unknown) => async (req: Request, res: Response) => {
    try {
      const a = await admitted(req, res, 'admin/console');
      const body = await answer(req, a);
      writeJson(res, 200, body, { ...a.headers, ...API_HEADERS });
    } catch (err) {
      fail(res, err, what);
    }
  };

  /** A POST: CSRF-checked, admitted as `method`, then its JSON body (at most maxInputBytes). */
  const post = (what: string, method: string, answer: (body: Record<string, unknown>, a: Admitted) => Promise<unknown> | unknown) => async (req: Request, res: Response) => {
    try {
      const a = await admitted(req, res, method, true);
      const body = await readJsonBody(req, opts.maxInputBytes);
      if (!isObject(body)) throw invalid('the body must be a JSON object');
      const out = await answer(body, a);
      writeJson(res, 200, out, { ...a.headers, ...API_HEADERS });
    } catch (err) {
      fail(res, err, what);
    }
  };

  const located = async (d: PolicyDecision | { reasons: { rule: string; message: string }[] }, rules: RuleIndex | null) => locate(d.reasons, rules);

  const overview = async () => {
    const s = deps.policy.status();
    return {
      upstreams: deps.upstreams().map((u) => ({ id: u.id, transport: u.transport, state: u.state, since: u.since, restarts: u.restarts, ...(u.lastError !== undefined && { lastError: u.lastError }), counts: u.counts })),
      breakers: deps.breakers(),
      policy: {
        active: { revision: s.revision, activatedAt: s.activatedAt, source: s.source.startsWith('service:') ? 'service' : 'file', signed: s.signed, lastResult: s.lastResult, lastError: s.lastError && { code: s.lastError.code, at: s.lastError.at } },
        shadow: deps.shadow ? { ...deps.shadow.status(), bundle: path.basename(deps.shadow.bundle), loadedAt: deps.shadow.engine.activatedAt.toISOString() } : null,
      },
      rates: await sc.rates.snapshot(),
      decisions: sc.feed.status(),
      streams: sc.streams.status(),
      pinning: deps.pins !== undefined,
      approvals: { pending: deps.approvals.size },
    };
  };
  sc.start(overview);

  const evaluate = async (engine: PolicyEngine, input: Record<string, unknown>, rules: RuleIndex | null) => {
    const d = engine.decide(input);
    return { d, json: { ...decisionJson(d), revision: engine.revision, reasons: await located(d, rules) } };
  };

  const pinTarget = (body: Record<string, unknown>) => {
    const { server, kind, name } = body;
    if (typeof server !== 'string' || typeof name !== 'string' || !['tool', 'prompt', 'resourceTemplate'].includes(kind as string)) {
      throw invalid('a pin action needs server and name (strings) and kind (tool, prompt or resourceTemplate)');
    }
    return (r: PinRecord) => r.server === server && r.kind === kind && r.name === name;
  };

  const pinAction = (change: typeof approvePins) => (body: Record<string, unknown>, a: Admitted) => {
    const pins = deps.pins;
    if (!pins) throw new HatagoError('ERR_CONSOLE_NOT_FOUND', { message: 'Not found: pinning is off (security.pinning.enabled: false)' });
    const match = pinTarget(body);
    const by = a.principal?.sub ?? 'console';
    let done;
    try {
      const data = pins.backend.read();
      done = change(data, match, by, new Date().toISOString());
      if (done.length === 0) throw new HatagoError('ERR_CONSOLE_NOT_FOUND', { message: 'Not found: no such pin, or nothing to approve' });
      if (data.journal.length > MAX_JOURNAL) data.journal.splice(0, data.journal.length - MAX_JOURNAL);
      pins.backend.write(data);
    } catch (err) {
      if (err instanceof PinFileError) throw new HatagoError('ERR_PIN_STORE_UNAVAILABLE', { message: err.message });
      throw err;
    }
    // The registry sees the store changed: it re-reads it and writes the journal to the audit trail.
    pins.registry.refresh();
    return { done };
  };

  const r = express.Router({ caseSensitive: true, strict: true });

  // The page: no data in it, so the network stage alone (an anonymous browser gets the login form).
  const asset = (name: string) => async (req: Request, res: Response) => {
    try {
      await networkStages.run({ req, res });
      const a = assets.get(name)!;
      res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': a.type, 'Content-Length': a.body.length, 'Cache-Control': 'no-cache' });
      res.end(a.body);
    } catch (err) {
      fail(res, err, `/console/${name}`);
    }
  };
  r.get('/', asset('index.html'));
  for (const name of assets.keys()) if (name !== 'index.html') r.get(`/${name}`, asset(name));

  r.get('/api/session', read('/console/api/session', (req, a) => {
    const p = a.principal;
    return { user: p?.sub ?? null, username: p?.username ?? null, roles: p?.roles ?? [], csrf: csrf.tokenFor(p, req), maxInputBytes: opts.maxInputBytes, expiresAt: typeof p?.claims.exp === 'number' ? new Date(p.claims.exp * 1000).toISOString() : null };
  }));

  r.get('/api/overview', read('/console/api/overview', () => overview()));

  r.get('/api/decisions', read('/console/api/decisions', (req) => {
    const q = req.query;
    const outcome = queryString(q.outcome);
    if (outcome !== undefined && outcome !== '' && outcome !== 'allow' && outcome !== 'deny') throw invalid('outcome must be allow or deny');
    const filter: DecisionFilter = { user: queryString(q.user), server: queryString(q.server), tool: queryString(q.tool), rule: queryString(q.rule), ...(outcome && { outcome }) } as DecisionFilter;
    const limit = q.limit === undefined ? 100 : Number(q.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > opts.maxDecisions) throw invalid(`limit must be an integer from 1 to ${opts.maxDecisions}`);
    return { decisions: sc.feed.list(filter, limit), ...sc.feed.status() };
  }));

  r.get('/api/decisions/:id', read('/console/api/decisions/:id', async (req) => {
    const rec = sc.feed.get(String(req.params.id));
    if (!rec) throw new HatagoError('ERR_CONSOLE_NOT_FOUND', { message: 'Not found: no such decision (or no longer kept)' });
    const active = deps.policy.current();
    // Places in the sources only for the revision that decided: an older one's sources are gone.
    const rules = rec.revision === active.revision ? await activeRules.get() : null;
    return { ...rec, reasons: await located(rec.result, rules), sourcesOf: rules ? rec.revision : null };
  }));

  r.get('/api/candidates', read('/console/api/candidates', async () => ({ candidates: await candidates.list() })));

  r.get('/api/history', read('/console/api/history', () => ({ history: sc.history?.list() ?? [], active: deps.policy.status().revision })));

  r.get('/api/pins', read('/console/api/pins', () => {
    const pins = deps.pins;
    if (!pins) return { enabled: false, pending: [] };
    let data;
    try {
      data = pins.backend.read();
    } catch (err) {
      if (err instanceof PinFileError) throw new HatagoError('ERR_PIN_STORE_UNAVAILABLE', { message: err.message });
      throw err;
    }
    const pending = data.pins
      .filter((p) => p.pending || !p.approved)
      .slice(0, 200)
      .map((p) => ({
        server: p.server,
        kind: p.kind,
        name: p.name,
        status: p.pending ? 'changed' : 'new',
        pinned_digest: p.digest,
        digest: p.pending?.digest ?? p.digest,
        first_seen: p.first_seen,
        ...(p.pending && { seen_at: p.pending.seen_at, diff: definitionDiff(p.definition, p.pending.definition) }),
        ...(!p.pending && { definition: p.definition }),
      }));
    return { enabled: true, pending };
  }));

  r.post('/api/evaluate', post('/console/api/evaluate', 'admin/console', async (body) => {
    const found = decisionInputOf(body.input);
    if (!found) throw invalid('input must be a policy input (with "stage"), a decision-log line ("input") or an audit record ("metadata.input")');
    const active = await evaluate(deps.policy.current(), found.input, await activeRules.get());
    if (body.candidate === undefined || body.candidate === null || body.candidate === '') return { active: active.json };
    const c = await candidates.get(body.candidate);
    const cand = await evaluate(c.engine, found.input, c.rules);
    return { active: active.json, candidate: { id: c.id, ...cand.json }, differs: differingFields(active.d, cand.d) };
  }));

  r.post('/api/replay', post('/console/api/replay', 'admin/console', async (body) => {
    const c = await candidates.get(body.candidate);
    const entries = sc.feed.replayEntries();
    const active = deps.policy.current();
    const { changes, counts } = replayDiff(entries, active, c.engine);
    return {
      summary: { replayed: entries.length, changed: changes.length, unchanged: entries.length - changes.length, ...counts, active: { revision: active.revision }, candidate: { id: c.id, revision: c.engine.revision } },
      changes,
    };
  }));

  r.post('/api/pins/approve', post('/console/api/pins/approve', 'admin/console/write', pinAction(approvePins)));
  r.post('/api/pins/revoke', post('/console/api/pins/revoke', 'admin/console/write', pinAction(revokePins)));

  // Held calls: what GET /admin/approvals lists, to a caller the policy lets read the console and list approvals.
  r.get('/api/approvals', read('/console/api/approvals', async (_req, a) => {
    await deps.admit(a.ctx, 'admin/approvals');
    return { approvals: deps.approvals.list() };
  }));

  // A verdict: same origin and CSRF token first, then exactly POST /admin/approvals/:id's decision and audit.
  r.post('/api/approvals/:id', async (req: Request, res: Response) => {
    try {
      const a = await caller(req, res, true);
      const out = await decideOutOfBand(deps.approvals, deps.admit, a.ctx, String(req.params.id), req);
      writeJson(res, 200, out, { ...a.headers, ...API_HEADERS });
    } catch (err) {
      fail(res, err, '/console/api/approvals/:id');
    }
  });

  r.get('/api/stream', async (req: Request, res: Response) => {
    try {
      const a = await admitted(req, res, 'admin/console');
      const principal = a.principal;
      sc.streams.accept(
        res,
        {
          check: async (reason) => {
            if (principal) {
              const st = await deps.tokenStatus(principal);
              if (st !== 'ok') return `token ${st}`;
            }
            if (reason === 'policy') {
              try {
                await deps.admit({ ...a.ctx, responseHeaders: {} }, 'admin/console');
              } catch {
                return 'the policy no longer grants the console';
              }
            }
            return null;
          },
        },
        { ...API_HEADERS },
        { heartbeatMs: opts.heartbeatMs, overview: await overview() },
      );
    } catch (err) {
      fail(res, err, '/console/api/stream');
    }
  });

  // Anything else under /console/api: decided first (a caller the policy refuses learns nothing), then 404.
  r.all(/^\/api(\/.*)?$/, read('/console/api', () => {
    throw new HatagoError('ERR_CONSOLE_NOT_FOUND', { message: 'Not found: no such console API' });
  }));

  return r;
}
