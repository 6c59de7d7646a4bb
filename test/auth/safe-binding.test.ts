import { describe, expect, it } from '@jest/globals';
import { assertSafeAuthBinding, isLoopbackHost } from '../../src/auth/index.js';
import { expectAuthError } from './fixtures.js';

describe('isLoopbackHost', () => {
  it.each(['127.0.0.1', '127.0.0.2', '127.255.255.254', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', 'localhost', 'LocalHost'])(
    '%s is loopback',
    (h) => expect(isLoopbackHost(h)).toBe(true),
  );
  it.each(['0.0.0.0', '::', '10.0.0.1', '128.0.0.1', '192.168.1.10', 'example.com', 'localhost.example.com', '', '::ffff:10.0.0.1'])(
    '%p is not loopback',
    (h) => expect(isLoopbackHost(h)).toBe(false),
  );
});

describe('assertSafeAuthBinding', () => {
  it('authentication on: nothing to say, any host', () => {
    expect(assertSafeAuthBinding({ enabled: true }, '0.0.0.0')).toBeUndefined();
    // A section without `enabled` is on, as for AuthenticationManager.
    expect(assertSafeAuthBinding({}, '0.0.0.0')).toBeUndefined();
  });

  it('authentication off on loopback: a loud warning', () => {
    expect(assertSafeAuthBinding({ enabled: false }, '127.0.0.1')).toMatch(/^WARNING: authentication is DISABLED/);
    expect(assertSafeAuthBinding(undefined, 'localhost')).toMatch(/DISABLED/);
  });

  it.each(['0.0.0.0', '::', '192.168.1.10', 'my-host'])('authentication off on %s: ERR_AUTH_DISABLED_NON_LOOPBACK', async (host) => {
    const e = await expectAuthError(() => assertSafeAuthBinding({ enabled: false }, host), 'ERR_AUTH_DISABLED_NON_LOOPBACK');
    expect(e.detail).toContain(host);
    await expectAuthError(() => assertSafeAuthBinding(undefined, host), 'ERR_AUTH_DISABLED_NON_LOOPBACK');
  });
});
