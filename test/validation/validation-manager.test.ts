// The guide's ValidationManager, and the schema pieces under it, as units.
import { ValidationManager } from '../../src/security.js';
import { HatagoError } from '../../src/errors/index.js';
import { ToolArgumentValidator, decodeJson, DEFAULT_LIMITS, exceedsDepth, UpstreamResultValidator } from '../../src/validation/index.js';

describe('ValidationManager (the guide example)', () => {
  const validator = new ValidationManager();
  validator.addRule('tool-call', {
    method: { type: 'string', enum: ['tools/call'] },
    params: {
      type: 'object',
      properties: { name: { type: 'string', maxLength: 100 }, arguments: { type: 'object' } },
      required: ['name'],
    },
  });

  it('accepts a request that matches the rule', () => {
    expect(validator.validate('tool-call', { method: 'tools/call', params: { name: 'read_file', arguments: {} } })).toBe(true);
    expect(validator.lastErrors).toEqual([]);
  });

  it('refuses one that does not, keeping the errors', () => {
    expect(validator.validate('tool-call', { method: 'tools/call', params: { name: 'x'.repeat(101) } })).toBe(false);
    expect(validator.lastErrors).toEqual([expect.objectContaining({ path: '/params/name', keyword: 'maxLength' })]);
    expect(validator.validate('tool-call', { method: 'tools/list', params: { name: 'a' } })).toBe(false);
    expect(validator.validate('tool-call', { params: { name: 'a' } })).toBe(false);
    expect(validator.validateDetailed('tool-call', { method: 'tools/call' }).errors).toEqual([expect.objectContaining({ keyword: 'required' })]);
  });

  it('takes a full JSON Schema as it is', () => {
    const v = new ValidationManager().addRule('ping', { type: 'object', properties: { method: { const: 'ping' } } });
    expect(v.validate('ping', {})).toBe(true);
    expect(v.validate('ping', { method: 'pong' })).toBe(false);
  });

  it('fails closed for an unknown rule, and throws on an invalid schema', () => {
    expect(validator.validate('nope', {})).toBe(false);
    expect(validator.lastErrors[0]?.keyword).toBe('rule');
    expect(() => new ValidationManager().addRule('bad', { type: 'no-such-type' })).toThrow();
  });
});

describe('body decoding', () => {
  it('counts depth outside strings only', () => {
    expect(exceedsDepth('{"a":"[[[[[[[[[["}', 2)).toBe(false);
    expect(exceedsDepth('{"a":"\\"[[[","b":[[1]]}', 2)).toBe(true);
  });

  it('refuses invalid UTF-8 and overlong encodings', () => {
    for (const bytes of [[0x22, 0xff, 0x22], [0x22, 0xc0, 0xa2, 0x22], [0x22, 0xed, 0xa0, 0x80, 0x22]]) {
      expect(() => decodeJson(new Uint8Array(bytes), DEFAULT_LIMITS)).toThrow(expect.objectContaining({ code: 'ERR_PARSE' }) as HatagoError);
    }
    expect(decodeJson(new TextEncoder().encode('"日本"'), DEFAULT_LIMITS)).toBe('日本');
  });

  it('checks key lengths too', () => {
    const limits = { ...DEFAULT_LIMITS, maxStringLength: 3 };
    expect(() => decodeJson(new TextEncoder().encode('{"long-key":1}'), limits)).toThrow(expect.objectContaining({ code: 'ERR_LIMIT_EXCEEDED' }) as HatagoError);
  });
});

describe('ToolArgumentValidator', () => {
  it('uses the dialect the schema declares (2020-12 by default)', () => {
    const v = new ToolArgumentValidator();
    v.update('s', [
      { name: 'tuple', inputSchema: { type: 'object', properties: { t: { type: 'array', prefixItems: [{ type: 'number' }], items: false } } } },
      { name: 'd7', inputSchema: { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', properties: { t: { type: 'array', items: [{ type: 'number' }], additionalItems: false } } } },
    ]);
    expect(() => v.check('s', 'tuple', { t: [1] })).not.toThrow();
    expect(() => v.check('s', 'tuple', { t: [1, 2] })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENTS' }) as HatagoError);
    expect(() => v.check('s', 'd7', { t: [1, 2] })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENTS' }) as HatagoError);
  });

  it('fails closed for a tool it has no usable schema for, and logs the uncompilable one', () => {
    const warnings: unknown[] = [];
    const v = new ToolArgumentValidator({ debug() {}, info() {}, warn: (_m, meta) => warnings.push(meta), error() {} });
    v.update('s', [{ name: 'broken', inputSchema: { type: 'object', properties: { x: { type: 'nope' } } } }, { name: 'none' }]);
    expect(() => v.check('s', 'broken', {})).toThrow(expect.objectContaining({ code: 'ERR_UPSTREAM_ERROR' }) as HatagoError);
    expect(() => v.check('s', 'none', {})).toThrow(expect.objectContaining({ code: 'ERR_UPSTREAM_ERROR' }) as HatagoError);
    expect(() => v.check('other', 'x', {})).toThrow(expect.objectContaining({ code: 'ERR_UPSTREAM_ERROR' }) as HatagoError);
    expect(warnings).toEqual([expect.objectContaining({ server: 's', tool: 'broken' }), expect.objectContaining({ server: 's', tool: 'none' })]);
  });

  it('replaces a server schemas on update', () => {
    const v = new ToolArgumentValidator();
    v.update('s', [{ name: 't', inputSchema: { type: 'object', required: ['a'] } }]);
    expect(() => v.check('s', 't', {})).toThrow();
    v.update('s', [{ name: 't', inputSchema: { type: 'object' } }]);
    expect(() => v.check('s', 't', undefined)).not.toThrow();
  });
});

describe('UpstreamResultValidator', () => {
  const v = new UpstreamResultValidator();
  it.each([
    ['tools/call', { content: [{ type: 'text', text: 'ok' }], isError: false }],
    ['tools/call', { content: [{ type: 'image', data: 'AA==', mimeType: 'image/png' }, { type: 'resource', resource: { uri: 'a://b', text: 'x' } }] }],
    ['prompts/get', { messages: [{ role: 'user', content: { type: 'text', text: 'hi' } }] }],
    ['resources/read', { contents: [{ uri: 'a://b', text: 'x' }] }],
    ['completion/complete', { completion: { values: ['a'] } }],
    ['some/extension', { anything: 1 }],
  ])('accepts a well-formed %s answer', (method, result) => {
    expect(() => v.check('s', method, result)).not.toThrow();
  });

  it.each([
    ['tools/call', { content: 'x' }],
    ['tools/call', { content: [{ type: 'text' }] }],
    ['tools/call', { content: [{ type: 'video' }] }],
    ['tools/call', { content: [], isError: 'yes' }],
    ['prompts/get', { messages: [{ role: 'system', content: { type: 'text', text: 'x' } }] }],
    ['resources/read', { contents: [{ text: 'no uri' }] }],
    ['completion/complete', { completion: { values: [1] } }],
    ['some/extension', [1]],
  ])('refuses a malformed %s answer with ERR_UPSTREAM_ERROR', (method, result) => {
    expect(() => v.check('s', method, result)).toThrow(expect.objectContaining({ code: 'ERR_UPSTREAM_ERROR', data: { server: 's', reason: 'malformed_response' } }) as HatagoError);
  });
});
