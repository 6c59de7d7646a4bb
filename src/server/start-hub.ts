import type express from 'express';
import type { AuthenticationManager } from '../auth/manager.js';
import { assertSafeAuthBinding } from '../auth/safe-binding.js';
import type { HatagoConfig } from '../config/types.js';
import { HatagoError } from '../errors/index.js';
import type { Principal } from '../hub/types.js';
import type { Logger } from '../log/logger.js';
import { createAuditSink, SuspiciousActivityMonitor } from '../audit/index.js';
import { createSuspiciousStore } from '../audit/suspicious/create-store.js';
import { sanitizerFromConfig } from '../log/from-config.js';
import { discardEvents, type SecurityEventSink } from '../pipeline/security-events.js';
import type { PolicySource } from '../pipeline/policy-source.js';
import { collectProcessMetrics, countSecurityEvents, createMetrics } from '../metrics/index.js';
import { hubMetrics, stageMetrics, timedAudit, timedPolicy } from '../metrics/instrument.js';
import type { Tracing } from '../telemetry/tracing.js';
import { tracingEnabled } from '../telemetry/tracing-enabled.js';
import type { McpExchange } from '../pipeline/mcp-exchange.js';
import { PolicyLifecycle, type PolicyLifecycleStatus } from '../policy/lifecycle/index.js';
import type { UpstreamManager } from '../upstreams/index.js';
import type { RelayRefusal } from '../upstreams/types.js';
import { createDecisionObservers, decisionLogSanitizer } from './decision-observers.js';
import { consoleEnabled, consoleOptions } from '../console/options.js';
import type { SecurityConsole } from '../console/security-console.js';
import { networkStage } from '../pipeline/network/stage.js';
import { listenEarly, startingUpstreams } from './early-listener.js';
import { tokenStage } from './token-stage.js';
import { writeHttpError } from '../http/respond.js';
import type { HttpExchange } from '../pipeline/http-exchange.js';
import { StageRunner, type Stage, type StageObserver } from '../pipeline/stage.js';
import { replicaId } from '../config/cluster.js';
import { createSessions } from '../sessions/create-sessions.js';
import { DEFAULT_DRAIN_TIMEOUT_MS, Drain } from './drain.js';
import { policyData } from './policy-data.js';
import { PACKAGE_INFO } from '../util/package-info.js';

export interface StartHubOptions {
  config: HatagoConfig;
  logger: Logger;
  /** Serve over stdin/stdout instead of HTTP. */
  stdio?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Receives security events (policy_activated, policy_rejected, ...); the audit trail passes its own. */
  securityEvents?: SecurityEventSink;
  /** Called once the hub is reachable (HTTP: the port bound; stdio: about to read), before the rest of it loads. */
  reachable?: () => void;
}

export interface RunningHub {
  /** Base URL (HTTP mode). */
  url?: string;
  /** Resolves when the hub stops by itself (stdio peer closed). */
  done: Promise<void>;
  close(): Promise<void>;
  /**
   * HTTP: readiness false, new work refused (503 ERR_DRAINING), in-flight
   * requests finished (at most `timeoutMs`, default http.drainTimeoutMs),
   * then sessions and streams ended cleanly. Call close() after it.
   */
  drain?(timeoutMs?: number): Promise<boolean>;
}

/**
 * The composition root: loads the policy and keys, starts the upstreams,
 * builds the hub and serves it. Every start-up failure is a HatagoError with
 * a clear message; nothing is left running when start-up fails.
 */
export async function startHub(opts: StartHubOptions): Promise<RunningHub> {
  const { config, logger } = opts;
  const env = opts.env ?? process.env;
  const authConfig = config.security.authentication;

  if (!opts.stdio) {
    const warning = assertSafeAuthBinding(authConfig, config.http.host);
    if (warning) logger.warn(warning, { component: 'authentication' });
  }
  // One metrics registry for the whole hub: /metrics and `hatago metrics` read it.
  const metrics = createMetrics();
  collectProcessMetrics(metrics.registry);
  const observeStages = stageMetrics(metrics);
  // OpenTelemetry traces, off unless the config or OTEL_TRACES_EXPORTER turns them on (docs/telemetry.md).
  // The SDK is loaded only then: start-up without traces does not pay for it.
  const tracing: Tracing | undefined = tracingEnabled(config.telemetry, env) ? new (await import('../telemetry/tracing.js')).Tracing(config.telemetry, env, logger) : undefined;
  // The audit trail first: the stages record into it (docs/audit.md).
  const trail = await createAuditSink(config, logger, { registry: metrics.registry });
  // The security console (docs/console.md), when on: it hears policy and pin events on their way to the trail.
  const securityConsole = consoleEnabled(config)
    ? new (await import('../console/security-console.js')).SecurityConsole(consoleOptions(config), decisionLogSanitizer(config, config.policies.decisionLog?.maskedFields), metrics.registry)
    : undefined;
  // Every event passes the counters the guide's alerts read (docs/metrics.md) on its way to the trail.
  const counted = countSecurityEvents(metrics, timedAudit(trail, metrics));
  const audit = securityConsole ? securityConsole.tap(counted) : counted;
  // Every stage built below that takes opts.securityEvents (policy lifecycle, breakers, rate limits) records into the trail.
  opts = { ...opts, securityEvents: opts.securityEvents ?? audit };
  // Revoked token ids (POST /auth/logout, /auth/refresh), checked on every verification.
  // Both loaded only with authentication on (jose, the OAuth 2.0 clients): a hub without it does not pay for them.
  const revoked = authConfig?.enabled ? (await import('../auth/revocation/index.js')).createRevokedTokenStore(authConfig.revocation) : undefined;
  const auth = authConfig?.enabled ? await (await import('../auth/manager.js')).AuthenticationManager.create({ ...authConfig, env }, { ...(revoked && { revoked }) }) : undefined;
  // The active policy, hot-reloaded from the bundle file or the bundle service (docs/bundles.md).
  const lifecycle = await PolicyLifecycle.create({
    policies: config.policies,
    registry: metrics.registry,
    runtimeData: policyData(config, env),
    logger,
    ...(opts.securityEvents && { events: opts.securityEvents }),
  });
  const store = lifecycle.store;
  // Every decision is timed by its contract stage (hatago_policy_evaluation_duration_seconds).
  const policy = timedPolicy(store, metrics);
  const showRevision = () => {
    const s = lifecycle.status();
    metrics.policyRevision.reset();
    metrics.policyRevision.set({ revision: s.revision }, 1);
    metrics.policyActivated.set(Date.parse(s.activatedAt) / 1000);
  };
  showRevision();
  // Decision log and shadow policy: observers of request decisions, never enforcing.
  const observers = await createDecisionObservers({ config, logger, registry: metrics.registry, events: audit, ...(securityConsole && { extraHooks: [securityConsole.feed.record] }) });
  if (securityConsole) {
    const first = lifecycle.status();
    securityConsole.startHistory({ revision: first.revision, activatedAt: first.activatedAt, source: first.source, digest: first.digest, signed: first.signed });
    securityConsole.attachShadow(observers.shadow);
  }
  // Failures and denials counted per address and user; the policy judges them (hatago.suspicious).
  // Memory for one hub, Redis for replicas (security.suspicious.store): a block holds on every replica.
  const monitor = new SuspiciousActivityMonitor(policy, { logger, store: createSuspiciousStore(config.security.suspicious?.store, logger) });
  const events = monitor.wrap(audit);

  // Created once the port is bound (below); stopped in this place of the order.
  let upstreamManager: UpstreamManager | undefined;
  const cleanup: (() => Promise<void> | void)[] = [() => observers.close(), () => upstreamManager?.stop()];
  if (tracing) cleanup.unshift(() => tracing.close()); // flushed after every stage that makes spans
  const stopAll = async () => {
    for (const fn of cleanup.reverse()) await Promise.resolve(fn()).catch(() => undefined);
  };
  cleanup.unshift(() => trail.close()); // closed last, after every stage that records
  if (revoked) cleanup.push(() => revoked.close());
  cleanup.push(() => monitor.store.close());

  try {
    // HTTP: bound now, answering the health probes (through the network stage) while the upstreams make their
    // first attempts; any other request waits for the full app, which takes over once the hub is built.
    const early = opts.stdio ? undefined : await listenEarly(config, logger, () => upstreamManager?.statuses() ?? startingUpstreams(config), networkStage(policy, logger, { events, recent: monitor, cors: config.security.network?.cors }), observeStages);
    if (early) cleanup.push(early.close);
    opts.reachable?.();
    // The upstreams' client first, so their first attempts run while the rest of the hub loads.
    const { UpstreamManager } = await import('../upstreams/upstream-manager.js');
    const upstreams = new UpstreamManager(config.mcpServers, {
      logger: logger.child({ component: 'upstream' }),
      ...(config.upstreams?.timeoutMs !== undefined && { defaultTimeoutMs: config.upstreams.timeoutMs }),
    });
    // An upstream's request to "the client" that no caller could be matched to is refused, and recorded.
    // At most one record per upstream per 10 s, carrying how many were refused meanwhile: an upstream cannot flood the trail.
    const refusals = new Map<string, { until: number; suppressed: number }>();
    upstreams.on('relay_refused', (server: string, info: RelayRefusal) => {
      const now = Date.now();
      const seen = refusals.get(server);
      if (seen && now < seen.until) {
        seen.suppressed++;
        return;
      }
      refusals.set(server, { until: now + 10_000, suppressed: 0 });
      const metadata = { server, method: info.method, reason: info.reason, ...(seen && seen.suppressed > 0 && { suppressedBefore: seen.suppressed }) };
      audit({ event: 'relay_refused', level: 'warn', metadata }).catch((err: unknown) =>
        logger.error('audit record of a refused relay failed', { component: 'upstream', error: String(err) }));
    });
    // First connection attempts run while the rest is built; over HTTP the port is bound at once (below), so
    // /health answers during a slow upstream's start (docs/health.md).
    const upstreamsStarted = upstreams.start();
    upstreamManager = upstreams;
    const {
      express, protectedResourceMetadataRoute, createTokenEndpoints, createHttpApp, isPlainMcp, Hub, createHubValidation, limitsFromConfig, serveStdio,
      corsPreflight, consoleRouter, authenticationStage, authenticationMethod, metricsRoute, approvalsRoute, startupSummary, tlsMode,
      PolicyGuard, ApprovalQueue, DEFAULT_APPROVAL_LIMITS, Approvals, RateLimiting,
      createBreakers, breakerTable, createRateLimitStore, flowHistoryFor, pinBackendFor, pinStoreStep, pinsFor,
    } = await import('./hub-modules.js');
    // Tool input schemas compiled per upstream listing; upstream answers checked before they go back.
    const validation = createHubValidation(upstreams.list(), logger.child({ component: 'validation' }));
    cleanup.push(() => validation.close());

    // One breaker per upstream; the policy picks each server's rule and error severities.
    const breakers = createBreakers(policy.current(), config, logger, metrics, opts.securityEvents ?? discardEvents);
    breakers.start();
    cleanup.push(() => breakers.stop());
    // A new bundle may change breaker rules: the table is derived from each candidate before it is activated
    // (a bundle whose table cannot be derived is rejected whole), and installed with it.
    cleanup.push(store.derive({ prepare: (engine) => breakerTable(engine, config), apply: (table) => breakers.apply(table) }));
    const rateLimitStore = createRateLimitStore(config.security.rateLimit, logger, metrics);
    cleanup.push(() => rateLimitStore.close());
    // The hub's catalog is built from the first answers (a name collision between two upstreams stops the start).
    await upstreamsStarted;
    // What each session did, for flow rules (docs/flows.md): input.session of every request decision.
    const history = flowHistoryFor(config);
    cleanup.push(() => history.close?.());
    // Calls the policy holds for approval wait here (docs/approvals.md); approvers see arguments masked.
    const approvalConfig = config.security.approval;
    const approvals = new Approvals({
      queue: new ApprovalQueue({ maxPending: approvalConfig?.maxPending ?? DEFAULT_APPROVAL_LIMITS.maxPending, maxPerPrincipal: approvalConfig?.maxPerPrincipal ?? DEFAULT_APPROVAL_LIMITS.maxPerPrincipal }),
      events,
      logger,
      ...(approvalConfig?.maxTimeoutSeconds !== undefined && { maxTimeoutMs: approvalConfig.maxTimeoutSeconds * 1000 }),
      mask: sanitizerFromConfig(config).value,
    });
    cleanup.push(() => approvals.queue.close());
    // The policy stage, and the rate-limit stage counting what its decisions name (src/pipeline/mcp-stages.ts).
    // With authentication on, a stateless request's decision record carries its authentication (one record per decision).
    const guard = new PolicyGuard(policy, logger, { onDecision: observers.onDecision, events, history, ...(auth && { authentication: authenticationMethod(auth) }) });
    const rateLimits = new RateLimiting({
      store: rateLimitStore,
      logger,
      events: opts.securityEvents ?? discardEvents,
      onCounted: (result) => metrics.rateLimitDecisions.inc({ result }),
    });
    // Whether a session may hear a server's notifications is asked of the policy, not counted as a request.
    // Its own guard: not counted against rate limits, and its denials are recorded at once.
    const observer = new PolicyGuard(policy, logger, { onDecision: observers.onDecision, events });
    // Definition pins (docs/pinning.md): facts for the policy, recorded in the pin store.
    const pinBackend = await pinStoreStep(() => pinBackendFor(config, logger.child({ component: 'pinning' })));
    if (pinBackend) cleanup.push(() => pinBackend.close());
    const pins = pinBackend && (await pinStoreStep(async () => pinsFor(config, pinBackend, audit, logger.child({ component: 'pinning' }))));
    const hub = new Hub({ upstreams, breakers, validation, guard, rateLimits, observer, approvals, history, ...(pins && { pins }), measure: hubMetrics(metrics), ...(tracing && { trace: (x: McpExchange) => tracing.mcp(x) }), logger: logger.child({ component: 'hub' }) });
    cleanup.push(() => hub.close?.());
    hub.runner.observe(observeStages);
    if (tracing) {
      hub.runner.onStart(tracing.stageStarted);
      hub.runner.observe(tracing.stageEnded);
    }
    cleanup.push(store.onActivated(() => {
      hub.policyChanged();
      showRevision();
      securityConsole?.policyChanged();
    }));

    // One line on how the hub is exposed and what a role-less caller sees; a warning when nobody sees anything.
    const logSummary = (stdio: boolean) => {
      const summary = startupSummary({ config, engine: policy.current(), upstreams: upstreams.list(), stdio });
      logger.info(summary.line, { component: 'hub' });
      if (summary.warning !== undefined) logger.warn(summary.warning, { component: 'authorization' });
    };

    if (opts.stdio) {
      const principal = auth ? await stdioPrincipal(auth, policy, env) : null;
      if (!auth && env.HATAGO_AUTH_TOKEN) logger.warn('HATAGO_AUTH_TOKEN is set but authentication is off in this config: the token is not checked and the client is anonymous', { component: 'authentication' });
      if (principal) await events({ event: 'authentication_success', user: principal.sub, metadata: { method: 'jwt', transport: 'stdio', roles: principal.roles } });
      const stdio = await serveStdio(hub, { logger: logger.child({ component: 'stdio' }), principal });
      cleanup.push(() => stdio.close());
      lifecycle.start();
      cleanup.push(() => lifecycle.stop());
      logger.info('serving MCP over stdio', { component: 'hub' });
      logSummary(true);
      return { done: stdio.closed, close: stopAll };
    }

    // The first HTTP stages of every endpoint: network (policy, CORS headers), then authentication.
    const front = [
      networkStage(policy, logger, { events, recent: monitor, cors: config.security.network?.cors }),
      // Verification, then the policy's stage "token" (required scopes) on the verified token.
      authenticationStage(policy, auth, logger, events),
    ];
    const replica = config.cluster?.enabled === true ? replicaId(config, env) : undefined;
    // 2025-11-25 sessions: this process's, or with cluster.enabled shared by the replicas through cluster.redis (any replica serves any session).
    const sessions = createSessions(replica !== undefined && config.cluster?.redis !== undefined ? { redis: config.cluster.redis, replica } : undefined, logger);
    cleanup.push(() => sessions.close());
    // SIGTERM: finish what is in flight here, send the rest elsewhere (src/server/drain.ts).
    let drainer: Drain | undefined;
    const httpApp = createHttpApp({
      draining: () => drainer?.draining === true,
      hub,
      sessions,
      limits: limitsFromConfig(config.security.validation),
      logger: logger.child({ component: 'http' }),
      front,
      ...(auth && { tokenCheck: (p: Principal) => auth.tokenStatus(p) }),
      events,
      observeStages,
      ...(tracing && { tracing }),
      healthExtras: () => ({
        circuitBreakers: breakers.status(), policy: { ...policyHealth(lifecycle.status()), ...observers.health() },
        // Replicas: which one answered, so an operator can compare revisions replica by replica (docs/deploy.md).
        ...(replica !== undefined && { replica }) }),
    });
    const outer = express();
    outer.disable('x-powered-by');
    const drain = new Drain({ hasSession: (id) => httpApp.hasSession(id), logger });
    drainer = drain;
    outer.use(drain.track);
    // POST /auth/login, /logout, /refresh (docs/token-endpoints.md): only with JWT authentication and a signing key; else 404.
    if (auth && revoked && auth.signingAlgorithm !== undefined && (authConfig?.type ?? 'jwt') === 'jwt') {
      outer.use('/auth', await createTokenEndpoints({
        auth, revoked, users: authConfig?.users, policy, rateLimits: rateLimitStore, events, network: networkStage(policy, logger, { events, recent: monitor }), observeStages, logger,
      }));
    }
    outer.use('/mcp', corsPreflight(config.security.network?.cors, policy, logger, { events, recent: monitor }));
    // GET /metrics: method admin/metrics, through the hub's MCP stages (policy, rate limits) as /health/details' admin/status.
    // GET /admin/approvals, POST /admin/approvals/:id (docs/approvals.md): held calls, decided out of band.
    outer.use('/admin/approvals', approvalsRoute(approvals.queue, front, (ctx, method, facts) => hub.admit(ctx, method, undefined, facts), { observeStages }));
    outer.get('/metrics', metricsRoute(metrics, front, (ctx, method) => hub.admit(ctx, method), { observeStages, beforeRender: () => metrics.sessionsOpen.set({ transport: 'http' }, httpApp.sessionCount()) }));
    // type oauth2: RFC 9728 metadata, readable without a token (docs/oauth2.md), where the network policy lets it (open endpoints).
    const rs = auth?.resourceServer;
    if (rs) outer.get(rs.metadataPaths, networkGated(front[0]!, protectedResourceMetadataRoute(rs), observeStages));
    // `GET /`: what this is, as JSON (Express would answer an HTML 404).
    outer.get('/', (_req, res) => {
      res.json({ name: PACKAGE_INFO.name, version: PACKAGE_INFO.version, endpoints: { mcp: '/mcp', health: '/health', metrics: '/metrics', ...(rs && { oauthProtectedResource: rs.metadataPaths[0] }), ...(auth?.signingAlgorithm !== undefined && (authConfig?.type ?? 'jwt') === 'jwt' && { login: '/auth/login' }), ...(securityConsole && auth && { console: '/console/' }) } });
    });
    if (securityConsole && auth) {
      // /console: the page, and its API decided by the policy (admin:console:read, admin:console:write).
      cleanup.push(() => securityConsole.close());
      securityConsole.attachApprovals(approvals.queue);
      outer.use('/console', consoleRouter({
        console: securityConsole,
        front,
        admit: (ctx, method, facts) => hub.admit(ctx, method, undefined, facts),
        approvals: approvals.queue,
        tokenStatus: (p) => auth.tokenStatus(p),
        policy: { current: () => store.current(), status: () => lifecycle.status() },
        shadow: observers.shadow,
        runtimeData: policyData(config, env),
        upstreams: () => hub.status(),
        breakers: () => breakers.status(),
        pins: pinBackend && pins ? { backend: pinBackend, registry: pins } : undefined,
        observeStages,
        logger: logger.child({ component: 'console' }),
      }));
    }
    outer.use(httpApp.app);
    const { url } = early!;
    // /mcp's own requests skip the outer router: drain.track is the only middleware before the app's /mcp handler (the others are on other paths, or answer OPTIONS only).
    early!.serve((req, res) => (isPlainMcp(req) ? drain.track(req, res, () => httpApp.serveMcp(req, res)) : outer(req, res)));
    cleanup.push(() => httpApp.close());
    cleanup.push(early!.close); // at stop: the port first (closing twice is harmless)
    lifecycle.start();
    cleanup.push(() => lifecycle.stop());
    const mutual = tlsMode(config) === 'mutual' ? ' (mutual TLS: clients must present a certificate issued by http.ssl.ca)' : '';
    logger.info(`hatago listening on ${url}/mcp${mutual}`, { component: 'hub', url: `${url}/mcp` });
    logSummary(false);
    const done = new Promise<void>((resolve) => early!.server.once('close', () => resolve()));
    const drainThenEnd = async (timeoutMs = config.http.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS) => {
      const drained = await drain.drain(timeoutMs);
      httpApp.close(); // sessions and GET streams end with a clean end of stream
      early!.server.closeIdleConnections();
      logger.info('drained', { component: 'hub', drained, inFlight: drain.requestsInFlight });
      return drained;
    };
    return { url, done, close: stopAll, drain: drainThenEnd };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** What /health/details shows of the policy: no paths, URLs or rejection reasons (those go to the log). */
function policyHealth(s: PolicyLifecycleStatus): Record<string, unknown> {
  return {
    revision: s.revision,
    activatedAt: s.activatedAt,
    source: s.source.startsWith('service:') ? 'service' : 'file',
    signed: s.signed,
    lastResult: s.lastResult,
    lastError: s.lastError && { code: s.lastError.code, at: s.lastError.at },
    reloads: s.counts,
    ...(s.updater && { updater: s.updater.kind === 'file' ? { kind: 'file', watching: s.updater.watching } : { kind: 'service', running: (s.updater as { running?: boolean }).running === true, longPolling: (s.updater as { longPolling?: boolean }).longPolling === true } }),
  };
}

/**
 * Over stdio the caller's token comes from HATAGO_AUTH_TOKEN (the guide's MCP
 * client config): verified, then judged by the policy (stage "token") like an HTTP token.
 */
async function stdioPrincipal(auth: AuthenticationManager, policy: PolicySource, env: NodeJS.ProcessEnv): Promise<Principal> {
  const token = env.HATAGO_AUTH_TOKEN;
  if (!token) throw new HatagoError('ERR_UNAUTHENTICATED', { message: 'Authentication is enabled: set HATAGO_AUTH_TOKEN for stdio serving' });
  const caller = await auth.verifyCaller(token);
  tokenStage(policy, auth, caller, { ip: null, origin: null, userAgent: null }, 'stdio');
  return caller.principal;
}

/** `handler` once the network stage let the request through (the policy's open endpoints); its refusal answered as on /mcp. */
function networkGated(network: Stage<HttpExchange>, handler: express.RequestHandler, observe?: StageObserver<unknown>): express.RequestHandler {
  const stages = new StageRunner<HttpExchange>([network]);
  if (observe) stages.observe(observe);
  return (req, res, next) => {
    stages.run({ req, res }).then(() => handler(req, res, next), (err: unknown) => writeHttpError(res, err));
  };
}
