// type "oauth2" end to end: the real hub process as an OAuth 2.0 resource
// server in front of a real OpenID provider process (oidc-provider), with the
// real MCP SDK client. Exact status, code and challenge for each refusal.
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ClientCredentialsProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js';
import { fixtureStdio, runHatago, startHubProcess, type HubProcess } from '../helpers/hub-process.js';
import { INITIALIZE, rawRequest } from '../helpers/http-client.js';
import { freePort, useProcessCleanup } from '../helpers/processes.js';
import { CLIENTS, clientToken, signingKey, startOidcProvider, userToken, type OidcProcess } from '../fixtures/oidc/oidc.js';

useProcessCleanup();

let op: OidcProcess;
let other: OidcProcess; // a second issuer that shares op's signing key
let hub: HubProcess; // JWTs locally, opaque tokens at userinfo
let introHub: HubProcess; // opaque tokens by RFC 7662 introspection
let resource: string;
let introResource: string;
let k1: Awaited<ReturnType<typeof signingKey>>;

const SCOPE = ['openid', 'profile', 'mcp'];

async function startOAuthHub(provider: Record<string, unknown>): Promise<{ hub: HubProcess; resource: string }> {
  const port = await freePort();
  const res = `http://127.0.0.1:${port}/mcp`;
  const h = await startHubProcess({
    http: { port },
    mcpServers: { fx: fixtureStdio() },
    security: {
      authentication: {
        enabled: true,
        type: 'oauth2',
        clockTolerance: 5,
        provider: { issuer: op.issuer, resource: res, scope: SCOPE, rolesClaim: 'realm_access.roles', jwksCooldown: 0, ...provider },
      },
      authorization: { enabled: true },
    },
  });
  return { hub: h, resource: res };
}

beforeAll(async () => {
  k1 = await signingKey('k1');
  op = await startOidcProvider([k1]);
  other = await startOidcProvider([k1]);
  ({ hub, resource } = await startOAuthHub({}));
  ({ hub: introHub, resource: introResource } = await startOAuthHub({
    introspectionUrl: `${op.issuer}/token/introspection`,
    clientId: CLIENTS.hub.id,
    clientSecret: CLIENTS.hub.secret,
  }));
});

// Each refusal from its own loopback address: repeated failures from one
// address are suspicious activity, which the policy may block (a 403).
let nextAddress = 10;
const nextLocal = () => `127.0.2.${nextAddress++}`;

async function initialize(h: HubProcess, token: string | undefined) {
  const res = await rawRequest(h.mcpUrl, { body: INITIALIZE, headers: token === undefined ? {} : { authorization: `Bearer ${token}` }, localAddress: nextLocal() });
  return { status: res.status, code: res.json?.error?.data?.code as string | undefined, challenge: res.headers['www-authenticate'] };
}

const metadataUrl = () => `${hub.url}/.well-known/oauth-protected-resource/mcp`;
const challenge = (rest = '') => `Bearer realm="hatago", resource_metadata="${metadataUrl()}"${rest}, scope="openid profile mcp"`;
const INVALID = ', error="invalid_token", error_description="The access token is invalid"';

async function listToolsWith(h: HubProcess, token: string): Promise<string[]> {
  const client = new Client({ name: 'oauth2-e2e', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(h.mcpUrl), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  try {
    return (await client.listTools()).tools.map((t) => t.name);
  } finally {
    await client.close();
  }
}

describe('RFC 9728 protected resource metadata', () => {
  it('is served at the path-aware and the bare well-known URL, without a token', async () => {
    const expected = { resource, authorization_servers: [op.issuer], scopes_supported: SCOPE, bearer_methods_supported: ['header'], resource_name: 'hatago' };
    for (const url of [metadataUrl(), `${hub.url}/.well-known/oauth-protected-resource`]) {
      const res = await rawRequest(url, { method: 'GET' });
      expect({ status: res.status, type: res.headers['content-type'], body: res.json }).toEqual({ status: 200, type: 'application/json; charset=utf-8', body: expected });
    }
  });

  it('every 401 carries resource_metadata and the scopes to request', async () => {
    expect(await initialize(hub, undefined)).toEqual({ status: 401, code: 'ERR_UNAUTHENTICATED', challenge: challenge() });
  });
});

describe('valid tokens', () => {
  it('the SDK client discovers the provider from the 401 and gets a token (client credentials)', async () => {
    // SDK 1.x sends clientMetadata.scope on a client_credentials request (not the challenge's scope).
    const authProvider = new ClientCredentialsProvider({ clientId: CLIENTS.user.id, clientSecret: CLIENTS.user.secret, expectedIssuer: op.issuer, scope: 'mcp' });
    const client = new Client({ name: 'oauth2-e2e', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(hub.mcpUrl), { authProvider }));
    try {
      expect((await client.listTools()).tools.map((t) => t.name)).toContain('fx_echo');
      // The token the SDK got is bound to the hub (RFC 8707 resource) and carries the client's role.
      const payload = JSON.parse(Buffer.from(authProvider.tokens()!.access_token.split('.')[1]!, 'base64url').toString());
      expect({ aud: payload.aud, iss: payload.iss, roles: payload.realm_access.roles }).toEqual({ aud: resource, iss: op.issuer, roles: ['user'] });
    } finally {
      await client.close();
    }
  });

  it('a user token: roles from realm_access.roles decide what tools/list shows', async () => {
    const asUser = await userToken(op.issuer, { sub: 'alice', resource, roles: ['user'] });
    expect(await listToolsWith(hub, asUser)).toContain('fx_echo');
    // No role (and no defaultRole): the policy shows nothing.
    const noRole = await userToken(op.issuer, { sub: 'zoe', resource });
    expect(await listToolsWith(hub, noRole)).toEqual([]);
  });

  it('an opaque token (no resource) is validated at the userinfo endpoint', async () => {
    const opaque = await userToken(op.issuer, { sub: 'bob', scope: 'openid profile', roles: ['user'] });
    expect(opaque.split('.').length).toBe(1);
    expect((await initialize(hub, opaque)).status).toBe(200);
  });

  it('an opaque token bound to the hub is validated by introspection', async () => {
    const opaque = await userToken(op.issuer, { sub: 'carol', resource: introResource, opaque: true, roles: ['user'] });
    expect(opaque.split('.').length).toBe(1);
    expect(await listToolsWith(introHub, opaque)).toContain('fx_echo');
  });
});

describe('tokens the hub refuses', () => {
  it('a token minted for another resource (RFC 8707 audience): 401', async () => {
    const t = await userToken(op.issuer, { sub: 'alice', resource: 'http://127.0.0.1:1/other-mcp' });
    expect(await initialize(hub, t)).toEqual({ status: 401, code: 'ERR_TOKEN_INVALID', challenge: challenge(INVALID) });
    await hub.proc.waitForLine(/wrong_audience/);
  });

  it('a token from another issuer, even signed with a key the hub trusts: 401', async () => {
    const t = await userToken(other.issuer, { sub: 'alice', resource });
    expect(await initialize(hub, t)).toEqual({ status: 401, code: 'ERR_TOKEN_INVALID', challenge: challenge(INVALID) });
    await hub.proc.waitForLine(/wrong_issuer/);
  });

  it('an expired token signed by the provider: 401 ERR_TOKEN_EXPIRED', async () => {
    const t = await userToken(op.issuer, { sub: 'alice', resource, expired: true });
    expect(await initialize(hub, t)).toEqual({
      status: 401,
      code: 'ERR_TOKEN_EXPIRED',
      challenge: challenge(', error="invalid_token", error_description="The access token expired"'),
    });
  });

  it('a token without the required scope mcp: 403 insufficient_scope', async () => {
    const t = await clientToken(op.issuer, CLIENTS.user, resource, 'other');
    expect(await initialize(hub, t)).toEqual({
      status: 403,
      code: 'ERR_INSUFFICIENT_SCOPE',
      challenge: challenge(', error="insufficient_scope", error_description="The access token lacks a required scope"'),
    });
  });

  it('a token signed by a key the provider never published: 401', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: 'mallory', scope: 'mcp', realm_access: { roles: ['admin'] } };
    for (const kid of ['k-unknown', 'k1']) {
      const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid }).setIssuer(op.issuer).setAudience(resource).setIssuedAt(now).setExpirationTime(now + 300).sign(privateKey);
      expect(await initialize(hub, forged)).toEqual({ status: 401, code: 'ERR_TOKEN_INVALID', challenge: challenge(INVALID) });
    }
  });

  it('an HS256 token (algorithm confusion with the public key) is refused before any key lookup: 401', async () => {
    const jwk = await exportJWK((await generateKeyPair('RS256', { extractable: true })).publicKey);
    const forged = await new SignJWT({ sub: 'mallory', scope: 'mcp' })
      .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
      .setIssuer(op.issuer)
      .setAudience(resource)
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(JSON.stringify(jwk)));
    expect(await initialize(hub, forged)).toEqual({ status: 401, code: 'ERR_TOKEN_INVALID', challenge: challenge(INVALID) });
  });

  it('an opaque token the provider does not know: 401', async () => {
    expect(await initialize(hub, 'not-a-token-the-provider-issued')).toEqual({ status: 401, code: 'ERR_TOKEN_INVALID', challenge: challenge(INVALID) });
    expect(await initialize(introHub, 'not-a-token-the-provider-issued')).toMatchObject({ status: 401, code: 'ERR_TOKEN_INVALID' });
  });

  it('introspection: an opaque token not bound to the hub (no aud) is refused: 401', async () => {
    const unbound = await userToken(op.issuer, { sub: 'bob', scope: 'openid profile' });
    expect(await initialize(introHub, unbound)).toMatchObject({ status: 401, code: 'ERR_TOKEN_INVALID' });
  });
});

describe('stdio: HATAGO_AUTH_TOKEN passes the same token stage', () => {
  it('a token without the required scope mcp: serve --stdio stops with ERR_INSUFFICIENT_SCOPE', async () => {
    const t = await clientToken(op.issuer, CLIENTS.user, resource, 'other');
    const { code, output } = await runHatago(['serve', '--stdio', '--config', `${hub.dir}/hatago.config.json`], { env: { HATAGO_AUTH_TOKEN: t } });
    expect(code).toBe(1);
    // The operator's terminal gets the policy's reason too (a client never does).
    expect(output).toMatch(/^hatago: Forbidden: the access token lacks a required scope \(insufficient_scope: missing mcp\) \[ERR_INSUFFICIENT_SCOPE\]$/m);
  });
});

describe('provider key rotation and outage', () => {
  let oldToken: string;
  let cachedOpaque: string;

  it('a token signed by a new provider key is accepted once the provider publishes it', async () => {
    oldToken = await userToken(op.issuer, { sub: 'alice', resource, roles: ['user'] });
    cachedOpaque = await userToken(op.issuer, { sub: 'dave', scope: 'openid profile', roles: ['user'] });
    expect((await initialize(hub, oldToken)).status).toBe(200);
    expect((await initialize(hub, cachedOpaque)).status).toBe(200);

    const k2 = await signingKey('k2');
    // Restart keeps the issuer (same port); the in-memory opaque tokens are gone, the JWTs stay valid.
    await op.restart([k2, k1]);
    const fresh = await userToken(op.issuer, { sub: 'alice', resource, roles: ['user'] });
    expect(JSON.parse(Buffer.from(fresh.split('.')[0]!, 'base64url').toString()).kid).toBe('k2');
    expect(await listToolsWith(hub, fresh)).toContain('fx_echo');
    expect((await initialize(hub, oldToken)).status).toBe(200);
  });

  it('provider down: cached keys and cached opaque validations still serve; anything needing the provider is 503 (fail closed)', async () => {
    const unseenOpaque = await userToken(op.issuer, { sub: 'erin', scope: 'openid profile' });
    const { privateKey } = await generateKeyPair('RS256');
    const unknownKid = await new SignJWT({ sub: 'x', scope: 'mcp' }).setProtectedHeader({ alg: 'RS256', kid: 'k9' }).setIssuer(op.issuer).setAudience(resource).setExpirationTime('5m').sign(privateKey);
    await op.stop();

    expect((await initialize(hub, oldToken)).status).toBe(200);
    // Validated at userinfo before the restart: the positive cache (keyed by a hash of the token) answers.
    expect((await initialize(hub, cachedOpaque)).status).toBe(200);
    for (const t of [unseenOpaque, unknownKid]) {
      const r = await initialize(hub, t);
      expect({ status: r.status, code: r.code, challenge: r.challenge }).toEqual({ status: 503, code: 'ERR_AUTH_PROVIDER_UNAVAILABLE', challenge: undefined });
    }
    expect(hub.proc.output()).not.toContain(unseenOpaque);
  });
});
