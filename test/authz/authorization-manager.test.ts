import { AuthorizationManager } from '../../src/security.js';
import { GUIDE_ROLES } from '../../src/config/index.js';
import { HatagoError } from '../../src/errors/index.js';

// checkPermission asks the shipped, compiled policy (policies/bundle/hatago.tar.gz).
const authz = new AuthorizationManager({
  authorization: {
    enabled: true,
    defaultRole: 'readonly',
    roles: {
      ...GUIDE_ROLES,
      fsadmin: { permissions: ['server:filesystem:*'] },
      reader: { permissions: ['server:filesystem:tools:call:read_*'] },
    },
  },
});

describe('AuthorizationManager.checkPermission', () => {
  it('lets admin do everything', async () => {
    for (const p of ['mcp:tools:call', 'server:filesystem:tools:call', 'mcp:resources:read', 'mcp:prompts:list']) {
      expect(await authz.checkPermission({ id: 'a', roles: ['admin'] }, p)).toBe(true);
    }
  });

  it('lets user list and call tools, read resources and get prompts on every server', async () => {
    const user = { id: 'u', roles: ['user'] };
    expect(await authz.checkPermission(user, 'server:filesystem:tools:call')).toBe(true);
    expect(await authz.checkPermission(user, 'mcp:tools:list')).toBe(true);
    expect(await authz.checkPermission(user, 'mcp:resources:read')).toBe(true);
    expect(await authz.checkPermission(user, 'mcp:prompts:generate')).toBe(true);
  });

  it('lets readonly only list', async () => {
    const ro = { id: 'r', roles: ['readonly'] };
    expect(await authz.checkPermission(ro, 'mcp:tools:list')).toBe(true);
    expect(await authz.checkPermission(ro, 'mcp:tools:call')).toBe(false);
    expect(await authz.checkPermission(ro, 'server:filesystem:resources:read')).toBe(false);
  });

  it('applies defaultRole to a user with no known role', async () => {
    expect(await authz.checkPermission({ id: 'x', roles: ['nobody'] }, 'mcp:tools:list')).toBe(true);
    expect(await authz.checkPermission({ id: 'x', roles: [] }, 'mcp:tools:call')).toBe(false);
  });

  it('scopes server:filesystem:* to that server only', async () => {
    const fs = { id: 'f', roles: ['fsadmin'] };
    expect(await authz.checkPermission(fs, 'server:filesystem:tools:call')).toBe(true);
    expect(await authz.checkPermission(fs, 'server:filesystem:resources:read')).toBe(true);
    expect(await authz.checkPermission(fs, 'server:github:tools:call')).toBe(false);
    expect(await authz.checkPermission(fs, 'mcp:tools:call')).toBe(false);
  });

  it('grants per tool', async () => {
    const r = { id: 'p', roles: ['reader'] };
    expect(await authz.checkPermission(r, 'server:filesystem:tools:call:read_file')).toBe(true);
    expect(await authz.checkPermission(r, 'server:filesystem:tools:call:write_file')).toBe(false);
  });

  it('lets the token permissions claim narrow, never widen, what roles grant', async () => {
    expect(await authz.checkPermission({ id: 'n', roles: ['user'], permissions: ['mcp:tools'] }, 'mcp:resources:read')).toBe(false);
    expect(await authz.checkPermission({ id: 'n', roles: ['user'], permissions: ['mcp:tools'] }, 'mcp:tools:call')).toBe(true);
    expect(await authz.checkPermission({ id: 'w', roles: ['readonly'], permissions: ['mcp:*:*'] }, 'mcp:tools:call')).toBe(false);
  });

  it('applies the shipped custom rule: allowedServers limits a user to those servers', async () => {
    const u = { id: 'c', roles: ['user'], allowedServers: ['filesystem'] };
    expect(await authz.checkPermission(u, 'server:filesystem:tools:call')).toBe(true);
    expect(await authz.checkPermission(u, 'server:github:tools:call')).toBe(false);
  });

  it('answers the wildcard and admin forms from the policy (stage "permission")', async () => {
    const admin = { id: 'a', roles: ['admin'] };
    const user = { id: 'u', roles: ['user'] };
    const fs = { id: 'f', roles: ['fsadmin'] };
    for (const p of ['mcp:tools:*', 'mcp:tools', 'server:filesystem:*', 'server:filesystem', 'admin:servers:manage', 'admin']) {
      expect(await authz.checkPermission(admin, p)).toBe(true);
    }
    expect(await authz.checkPermission(user, 'mcp:tools:*')).toBe(false);
    expect(await authz.checkPermission(user, 'admin:servers:manage')).toBe(false);
    expect(await authz.checkPermission(fs, 'server:filesystem:*')).toBe(true);
    expect(await authz.checkPermission(fs, 'server:filesystem:tools:*')).toBe(true);
    expect(await authz.checkPermission(fs, 'server:github:*')).toBe(false);
    // The token's permissions claim narrows admin too.
    expect(await authz.checkPermission({ ...admin, permissions: ['mcp:tools'] }, 'admin:servers:manage')).toBe(false);
    expect(await authz.decidePermission(user, 'admin:servers:manage')).toEqual({
      allow: false,
      reasons: [{ rule: 'rbac.missing_permission', message: 'no role of ["user"] grants admin:servers:manage' }],
    });
  });

  it('rejects what is not a permission, with ERR_INVALID_PARAMS', async () => {
    const admin = { id: 'a', roles: ['admin'] };
    await expect(authz.checkPermission(admin, 'mcp:tools:fly')).rejects.toMatchObject({
      code: 'ERR_INVALID_PARAMS',
      message: 'Not a permission: "mcp:tools:fly" (unknown category or action)',
    });
    await expect(authz.checkPermission(admin, 'root:all')).rejects.toThrow(HatagoError);
    await expect(authz.checkPermission(admin, 'admin:a:b:c')).rejects.toMatchObject({ code: 'ERR_INVALID_PARAMS' });
    await expect(authz.checkPermission(admin, 'mcp::call')).rejects.toMatchObject({ message: 'Not a permission: "mcp::call" (empty segment)' });
  });
});

describe('AuthorizationManager.addRule (JavaScript rules)', () => {
  it('runs after the policy and can only narrow: false denies, true never overrides a deny', async () => {
    const seen: [string, string][] = [];
    const m = new AuthorizationManager().addRule('no-github', (user, resource, action) => {
      seen.push([resource, action]);
      return !resource.startsWith('server:github:');
    });
    expect(await m.checkPermission({ id: 'u', roles: ['user'] }, 'server:filesystem:tools:call')).toBe(true);
    expect(await m.decidePermission({ id: 'u', roles: ['user'] }, 'server:github:tools:call')).toEqual({
      allow: false,
      reasons: [{ rule: 'custom-js.no-github', message: 'rule no-github returned false for server:github:tools:call' }],
    });
    // Policy deny (readonly cannot call): the rule is not even asked, its true cannot allow.
    const denied = await m.decidePermission({ id: 'r', roles: ['readonly'] }, 'server:filesystem:tools:call');
    expect(denied.allow).toBe(false);
    expect(denied.reasons.map((r) => r.rule)).toEqual(['rbac.missing_permission']);
    expect(seen).toEqual([
      ['server:filesystem:tools:call', 'call'],
      ['server:github:tools:call', 'call'],
    ]);
  });

  it('applies to the wildcard and admin forms, with their action segment', async () => {
    const m = new AuthorizationManager().addRule('only-read', async (_user, _resource, action) => action !== 'manage');
    expect(await m.checkPermission({ id: 'a', roles: ['admin'] }, 'mcp:tools:*')).toBe(true);
    const d = await m.decidePermission({ id: 'a', roles: ['admin'] }, 'admin:servers:manage');
    expect(d).toEqual({ allow: false, reasons: [{ rule: 'custom-js.only-read', message: 'rule only-read returned false for admin:servers:manage' }] });
  });

  it('fails closed: a rule that throws or returns a non-boolean denies, and names itself', async () => {
    const user = { id: 'a', roles: ['admin'] };
    const throwing = new AuthorizationManager().addRule('boom', () => {
      throw new Error('lookup failed');
    });
    expect(await throwing.decidePermission(user, 'mcp:tools:call')).toEqual({
      allow: false,
      reasons: [{ rule: 'custom-js.boom', message: 'rule threw: lookup failed' }],
    });
    const sloppy = new AuthorizationManager().addRule('sloppy', () => undefined as unknown as boolean);
    expect(await sloppy.checkPermission(user, 'mcp:tools:call')).toBe(false);
  });

  it('runs rules in order, the first denial wins; the same name replaces a rule', async () => {
    const m = new AuthorizationManager().addRule('a', () => true).addRule('b', () => false).addRule('c', () => false);
    expect((await m.decidePermission({ id: 'x', roles: ['admin'] }, 'mcp:tools:call')).reasons[0]!.rule).toBe('custom-js.b');
    m.addRule('b', () => true);
    expect((await m.decidePermission({ id: 'x', roles: ['admin'] }, 'mcp:tools:call')).reasons[0]!.rule).toBe('custom-js.c');
  });

  it('refuses a bad rule with ERR_INVALID_PARAMS', () => {
    const m = new AuthorizationManager();
    expect(() => m.addRule('', () => true)).toThrow('addRule: name must be a non-empty string');
    expect(() => m.addRule('x', 'allow' as unknown as () => boolean)).toThrow('addRule: rule "x" must be a function');
  });
});
