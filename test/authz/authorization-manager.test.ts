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

  it('rejects what is not an MCP permission', async () => {
    await expect(authz.checkPermission({ id: 'a', roles: ['admin'] }, 'admin:servers:manage')).rejects.toThrow(HatagoError);
    await expect(authz.checkPermission({ id: 'a', roles: ['admin'] }, 'mcp:tools:fly')).rejects.toMatchObject({ code: 'ERR_INVALID_PARAMS' });
  });
});
