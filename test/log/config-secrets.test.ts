import { configSecrets, sanitizerFromConfig } from '../../src/log/from-config.js';

describe('secrets taken from the config', () => {
  const config = {
    mcpServers: { gh: { command: 'x', env: { GITHUB_TOKEN: 'ghp_value' }, headers: { 'X-Api': 'header-value' } } },
    security: {
      authentication: { enabled: true, secret: 'the-hmac-secret', provider: { clientId: 'hub', clientSecret: 'oauth-client-secret' } },
    },
  };

  it('lists upstream env and header values, the JWT secret and the OAuth client secret', () => {
    expect(configSecrets(config).sort()).toEqual(['ghp_value', 'header-value', 'oauth-client-secret', 'the-hmac-secret']);
  });

  it('masks them in free text, where no field name gives them away', () => {
    const sanitized = sanitizerFromConfig(config).text('introspection with oauth-client-secret failed; ghp_value');
    expect(sanitized).not.toContain('oauth-client-secret');
    expect(sanitized).not.toContain('ghp_value');
  });
});
