import { describe, expect, test } from '@jest/globals';
import { buildCatalog, routeResource, type ServerCatalogInput } from '../../src/hub/catalog.js';
import { matchesGlob } from '../../src/hub/glob.js';
import { thrownBy } from '../helpers/errors.js';
import type { ServerConfig } from '../../src/config/types.js';

const tool = (name: string) => ({ name, description: `d ${name}`, inputSchema: { type: 'object' }, annotations: { readOnlyHint: true } });
const server = (id: string, tools: string[], config: ServerConfig = {}, extra: Partial<ServerCatalogInput['catalog']> = {}): ServerCatalogInput => ({
  id,
  config,
  catalog: { tools: tools.map(tool), prompts: [], resources: [], resourceTemplates: [], ...extra },
});

describe('glob', () => {
  test('* and ? only; everything else is literal', () => {
    expect(matchesGlob('read_file', 'read_*')).toBe(true);
    expect(matchesGlob('read_file', 'read_?ile')).toBe(true);
    expect(matchesGlob('read_file', 'write_*')).toBe(false);
    expect(matchesGlob('a.b', 'a?b')).toBe(true);
    expect(matchesGlob('axb', 'a.b')).toBe(false);
    expect(matchesGlob('x(1)', 'x(1)')).toBe(true);
  });
});

describe('buildCatalog', () => {
  test('default prefix is the server id; metadata kept', () => {
    const cat = buildCatalog([server('fs', ['read'])], { onCollision: 'throw' });
    expect(cat.tools.entries.map((e) => e.item)).toEqual([{ ...tool('read'), name: 'fs_read' }]);
    expect(cat.tools.index.get('fs_read')).toMatchObject({ server: 'fs', local: 'read' });
  });

  test('custom prefix and empty prefix', () => {
    const cat = buildCatalog([server('a', ['x'], { prefix: 'files' }), server('b', ['y'], { prefix: '' })], { onCollision: 'throw' });
    expect(cat.tools.entries.map((e) => e.exposed)).toEqual(['files_x', 'y']);
  });

  test('include then exclude narrow the tools by upstream-local name', () => {
    const cat = buildCatalog([server('a', ['read_a', 'read_b', 'write_a'], { tools: { include: ['read_*', 'write_?'], exclude: ['*_b'] } })], { onCollision: 'throw' });
    expect(cat.tools.entries.map((e) => e.local)).toEqual(['read_a', 'write_a']);
  });

  test('a collision at start-up is ERR_NAME_COLLISION naming both servers', () => {
    const err = thrownBy(() => buildCatalog([server('a', ['x'], { prefix: '' }), server('b', ['x'], { prefix: '' })], { onCollision: 'throw' }));
    expect(err.code).toBe('ERR_NAME_COLLISION');
    expect(err.message).toContain('"a"');
    expect(err.message).toContain('"b"');
    expect(err.data).toEqual({ kind: 'tool', exposed: 'x', servers: ['a', 'b'] });
  });

  test('prompts collide like tools', () => {
    const p = { prompts: [{ name: 'greet' }] };
    const err = thrownBy(() => buildCatalog([server('a', [], { prefix: 'p' }, p), server('b', [], { prefix: 'p' }, p)], { onCollision: 'throw' }));
    expect(err.code).toBe('ERR_NAME_COLLISION');
  });

  test('a later collision keeps the first owner, even when it comes later in config order', () => {
    const first = buildCatalog([server('a', [], { prefix: '' }), server('b', ['x'], { prefix: '' })], { onCollision: 'throw' });
    const next = buildCatalog([server('a', ['x'], { prefix: '' }), server('b', ['x'], { prefix: '' })], { onCollision: 'keep-first', previous: first });
    expect(next.tools.index.get('x')?.server).toBe('b');
    expect(next.tools.entries).toHaveLength(1);
  });

  test('resource URIs stay as they are; a shared URI goes to the first server; templates route reads', () => {
    const res = { resources: [{ uri: 'mem://one', name: 'one' }], resourceTemplates: [{ uriTemplate: 'mem://items/{id}', name: 'item' }] };
    const cat = buildCatalog([server('a', [], {}, res), server('b', [], {}, { resources: [{ uri: 'mem://one', name: 'dup' }], resourceTemplates: [{ uriTemplate: 'other://{x}', name: 'o' }] })], { onCollision: 'throw' });
    expect(cat.resources.entries.map((e) => [e.server, e.exposed])).toEqual([['a', 'mem://one']]);
    expect(routeResource(cat, 'mem://one').server).toBe('a');
    expect(routeResource(cat, 'mem://items/7')).toMatchObject({ server: 'a', via: 'template' });
    expect(routeResource(cat, 'other://z').server).toBe('b');
    expect(thrownBy(() => routeResource(cat, 'nowhere://x')).code).toBe('ERR_UNKNOWN_RESOURCE');
  });
});
