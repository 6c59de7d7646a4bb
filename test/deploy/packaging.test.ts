// What ships for running hatago elsewhere than a laptop, checked offline:
// deploy/kubernetes/ against the Kubernetes 1.37 schemas (kubernetes-validate,
// hash-pinned in scripts/python/requirements.txt, strict: unknown fields are
// errors), the manifests' own promises (probes, security context, Secret
// references, selectors), the ConfigMap's config through `hatago config
// validate` against a real redis-server, and the Dockerfile against
// .dockerignore (no engine here: what it copies must be in the build context).
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { packagePath } from '../../src/util/package-root.js';
import { runHatago } from '../helpers/hub-process.js';
import { PYTHON } from '../helpers/python.js';
import { useProcessCleanup } from '../helpers/processes.js';
import { startRedis } from '../ratelimit/helpers.js';

useProcessCleanup();

const K8S = packagePath('deploy', 'kubernetes');
const manifests = readdirSync(K8S).filter((f) => f.endsWith('.yaml')).map((f) => path.join(K8S, f));

function kubernetesValidate(files: string[]): { status: number | null; output: string } {
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: run \`npm run python:install\` (npm test's pretest does)`);
  const r = spawnSync(PYTHON, ['-m', 'kubernetes_validate', '--strict', '-k', '1.37.0', ...files], { encoding: 'utf8', env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The YAML documents of a file, parsed by PyYAML (in the same venv). */
function load(file: string): Obj {
  const r = spawnSync(PYTHON, ['-c', 'import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))', file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as Obj;
}

const byKind = (kind: string): Obj => {
  const found = manifests.map(load).find((m) => m.kind === kind);
  if (!found) throw new Error(`no ${kind} in deploy/kubernetes`);
  return found;
};

describe('deploy/kubernetes', () => {
  it('every manifest passes the Kubernetes 1.37 schemas, strictly', () => {
    expect(manifests.map((f) => path.basename(f)).sort()).toEqual(['configmap.yaml', 'deployment.yaml', 'horizontalpodautoscaler.yaml', 'networkpolicy.yaml', 'poddisruptionbudget.yaml', 'secret.example.yaml', 'service.yaml']);
    const r = kubernetesValidate(manifests);
    expect(r.output).not.toMatch(/ERROR|WARN/);
    expect(r.output.match(/ passed for resource /g)).toHaveLength(manifests.length);
    expect(r.status).toBe(0);
  });

  it('the validator does refuse a misspelt field (the check above can fail)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hatago-k8s-'));
    try {
      const bad = path.join(dir, 'deployment.yaml');
      writeFileSync(bad, readFileSync(path.join(K8S, 'deployment.yaml'), 'utf8').replace('readOnlyRootFilesystem', 'readOnlyRootFileSystem'));
      const r = kubernetesValidate([bad]);
      expect(r.status).not.toBe(0);
      expect(r.output).toContain('readOnlyRootFileSystem');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the Deployment probes liveness and readiness, runs locked down, and takes its keys from the Secret', () => {
    const d = byKind('Deployment');
    const pod = d.spec.template.spec;
    const c = pod.containers[0];
    expect(c.livenessProbe.httpGet).toEqual({ path: '/health', port: 'http' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/health/ready', port: 'http' });
    expect(c.ports).toEqual([{ name: 'http', containerPort: 3000, protocol: 'TCP' }]);
    expect(c.securityContext).toEqual({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: { drop: ['ALL'] } });
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532 });
    expect(c.resources.requests).toBeDefined();
    expect(c.resources.limits).toBeDefined();
    const secretRefs = c.env.filter((e: Obj) => e.valueFrom?.secretKeyRef).map((e: Obj) => e.valueFrom.secretKeyRef);
    const secret = byKind('Secret');
    expect(secretRefs.length).toBeGreaterThan(0);
    for (const ref of secretRefs) {
      expect(ref.name).toBe(secret.metadata.name);
      expect(Object.keys(secret.stringData)).toContain(ref.key);
    }
    expect(c.env.find((e: Obj) => e.name === 'HATAGO_REPLICA_ID').valueFrom.fieldRef.fieldPath).toBe('metadata.name');
    // The drain fits in the grace period (preStop sleep included).
    const config = JSON.parse(byKind('ConfigMap').data['hatago.config.json']) as { http: { drainTimeoutMs: number } };
    expect(config.http.drainTimeoutMs / 1000 + c.lifecycle.preStop.sleep.seconds).toBeLessThan(pod.terminationGracePeriodSeconds);
    const mounted = c.volumeMounts.find((m: Obj) => m.name === 'config');
    expect(c.args).toContain(`${mounted.mountPath}/hatago.config.json`);
  });

  it('the Service, PodDisruptionBudget, autoscaler and NetworkPolicy select the Deployment\'s pods', () => {
    const labels = byKind('Deployment').spec.template.metadata.labels;
    const selects = (sel: Record<string, string>) => Object.entries(sel).every(([k, v]) => labels[k] === v);
    expect(selects(byKind('Service').spec.selector)).toBe(true);
    expect(selects(byKind('PodDisruptionBudget').spec.selector.matchLabels)).toBe(true);
    expect(selects(byKind('NetworkPolicy').spec.podSelector.matchLabels)).toBe(true);
    expect(byKind('HorizontalPodAutoscaler').spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: byKind('Deployment').metadata.name });
    expect(byKind('Service').spec.ports[0].targetPort).toBe('http');
  });

  it('the ConfigMap\'s config passes `hatago config validate` with the Secret\'s variables and a real Redis', async () => {
    const redis = await startRedis();
    const dir = mkdtempSync(path.join(tmpdir(), 'hatago-k8s-config-'));
    try {
      writeFileSync(path.join(dir, 'hatago.config.json'), byKind('ConfigMap').data['hatago.config.json']);
      const env = { HATAGO_AUTH_SECRET: 'k8s-test-secret-0123456789-0123456789-0123', HATAGO_REDIS_URL: redis.url, HATAGO_REPLICA_ID: 'hatago-7d9f-abcde' };
      const shared = ['security.rateLimit.store', 'security.suspicious.store', 'security.pinning.store', 'security.flows.store', 'security.authentication.revocation.store'];
      expect(await runHatago(['config', 'validate', '--config', 'hatago.config.json'], { cwd: dir, env })).toEqual({
        code: 0,
        output: [...shared.map((k) => `note: cluster: ${k} uses cluster.redis (${redis.url})`), 'note: cluster: replica hatago-7d9f-abcde writes its audit chain to logs/audit/hatago-7d9f-abcde.log', `ok: ${path.join(dir, 'hatago.config.json')}`, ''].join('\n'),
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await redis.kill();
    }
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(packagePath('Dockerfile'), 'utf8');
  const stages = dockerfile.split(/^FROM /m).slice(1);
  const final = stages[stages.length - 1]!;

  it('builds in stages, runs the final one as a non-root user with a HEALTHCHECK and the shipped bundle', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(final).toMatch(/^USER 65532:65532$/m);
    expect(final).toMatch(/^HEALTHCHECK .*\n?.*\/health/m);
    expect(final).toContain('COPY policies/bundle ./policies/bundle');
    // No package manager or compiler is installed in the final stage.
    expect(final).not.toMatch(/apt-get|npm (ci|install)|build-essential/);
  });

  it('copies only what .dockerignore lets into the build context, and every copied path exists', () => {
    const rules = readFileSync(packagePath('.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
    expect(rules[0]).toBe('*');
    const allowed = rules.slice(1).map((r) => r.replace(/^!/, '').replace(/\/$/, ''));
    const sources = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1]!.split(/\s+/));
    expect(sources.length).toBeGreaterThan(3);
    for (const src of sources) {
      expect(existsSync(packagePath(src))).toBe(true);
      expect(allowed.some((a) => src === a || src.startsWith(`${a}/`) || a.startsWith(`${src}/`))).toBe(true);
    }
  });

  it('its default config validates', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hatago-container-config-'));
    try {
      copyFileSync(packagePath('deploy', 'container', 'hatago.config.json'), path.join(dir, 'c.json'));
      const r = await runHatago(['config', 'validate', '--config', 'c.json'], { cwd: dir, env: { HATAGO_AUTH_SECRET: 'container-test-secret-0123456789-0123456789' } });
      expect(r).toEqual({ code: 0, output: `ok: ${path.join(dir, 'c.json')}\n` });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
