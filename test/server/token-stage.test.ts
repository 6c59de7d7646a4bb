// Stage "token": the shipped policy, not TypeScript, decides whether a
// verified token carries the scopes the resource requires. The real bundle,
// the runtime data the hub builds from a config (policyData), and the
// challenge the HTTP answer would carry.
import { AuthenticationManager, wwwAuthenticate, type VerifiedCaller } from '../../src/auth/index.js';
import { DEFAULT_BUNDLE_PATH, embeddedDefaultConfig, type HatagoConfig } from '../../src/config/index.js';
import { HatagoError } from '../../src/errors/index.js';
import { PolicyEngine } from '../../src/policy/index.js';
import { policyData } from '../../src/server/policy-data.js';
import { tokenStage } from '../../src/server/token-stage.js';

const RESOURCE = 'http://127.0.0.1:3999/mcp';
const CLIENT = { ip: '127.0.0.1', origin: null, userAgent: null };

function oauth2Config(provider: Record<string, unknown>): HatagoConfig {
  const config = embeddedDefaultConfig();
  config.security.authentication = { enabled: true, type: 'oauth2', provider: { issuer: 'http://127.0.0.1:9/realm', resource: RESOURCE, ...provider } };
  return config;
}

async function stageFor(config: HatagoConfig) {
  const engine = await PolicyEngine.load(DEFAULT_BUNDLE_PATH, { runtimeData: policyData(config, {}) });
  const auth = await AuthenticationManager.create({ ...config.security.authentication!, env: {} });
  return (caller: VerifiedCaller) => tokenStage({ current: () => engine }, auth, caller, CLIENT);
}

const caller = (scope: string[] | undefined, scopesKnown = true): VerifiedCaller => ({
  principal: { sub: 'alice', roles: ['user'], claims: {}, ...(scope !== undefined && { scope }) },
  token: { type: 'oauth2', scopesKnown },
});

function refusal(run: () => void): { code: string; detail: string | undefined; challenge: string } {
  try {
    run();
  } catch (err) {
    if (!(err instanceof HatagoError)) throw err;
    return { code: err.code, detail: err.detail, challenge: wwwAuthenticate(err) };
  }
  throw new Error('the token stage allowed the token');
}

describe('stage token with the guide\'s scope list (openid profile mcp: mcp is required)', () => {
  let stage: (c: VerifiedCaller) => void;
  beforeAll(async () => {
    stage = await stageFor(oauth2Config({ scope: ['openid', 'profile', 'mcp'] }));
  });

  it('allows a token with mcp', () => {
    expect(() => stage(caller(['openid', 'mcp']))).not.toThrow();
  });

  it('refuses a token without mcp: ERR_INSUFFICIENT_SCOPE, the RFC 6750 step-up challenge, the missing scope in the log detail only', () => {
    expect(refusal(() => stage(caller(['openid', 'profile'])))).toEqual({
      code: 'ERR_INSUFFICIENT_SCOPE',
      detail: 'insufficient_scope: missing mcp',
      challenge: `Bearer realm="hatago", resource_metadata="http://127.0.0.1:3999/.well-known/oauth-protected-resource/mcp", error="insufficient_scope", error_description="The access token lacks a required scope", scope="openid profile mcp"`,
    });
  });

  it('refuses a token whose provider says it has no scope at all', () => {
    expect(refusal(() => stage(caller(undefined))).code).toBe('ERR_INSUFFICIENT_SCOPE');
  });

  it('does not apply the requirement when the provider cannot say (userinfo)', () => {
    expect(() => stage(caller(undefined, false))).not.toThrow();
  });
});

describe('stage token with requiredScopes set by the operator', () => {
  it('[] requires nothing', async () => {
    const stage = await stageFor(oauth2Config({ scope: ['mcp'], requiredScopes: [] }));
    expect(() => stage(caller([]))).not.toThrow();
  });

  it('names every missing scope, in the configured order', async () => {
    const stage = await stageFor(oauth2Config({ scope: ['mcp'], requiredScopes: ['mcp', 'tools', 'files'] }));
    expect(refusal(() => stage(caller(['tools']))).detail).toBe('insufficient_scope: missing mcp files');
  });
});
