import { describe, expect, it } from '@jest/globals';
import { classifyError } from '../../src/breaker/index.js';
import { HatagoError } from '../../src/errors/index.js';
import { UpstreamRpcError, timeoutError, unavailableError, upstreamError } from '../../src/upstreams/errors.js';

describe('classifyError', () => {
  it('maps the upstream layer\'s errors to kinds', () => {
    expect(classifyError(timeoutError('gh', 100))).toBe('timeout');
    expect(classifyError(unavailableError('gh', 'ECONNREFUSED'))).toBe('connection');
    expect(classifyError(upstreamError('gh', 'result does not match the schema'))).toBe('protocol');
  });

  it('maps JSON-RPC errors answered by the upstream', () => {
    expect(classifyError(new UpstreamRpcError('gh', -32602, 'bad params'))).toBe('validation');
    expect(classifyError(new UpstreamRpcError('gh', -32601, 'no such method'))).toBe('validation');
    expect(classifyError(new UpstreamRpcError('gh', -32603, 'internal'))).toBe('upstream_error');
    expect(classifyError(new UpstreamRpcError('gh', -32000, 'server defined'))).toBe('upstream_error');
    expect(classifyError(new UpstreamRpcError('gh', -32700, 'parse'))).toBe('protocol');
    expect(classifyError(new UpstreamRpcError('gh', -32600, 'invalid request'))).toBe('protocol');
  });

  it('an upstream HTTP 401 or 403 is auth, wherever the status is carried', () => {
    const http401 = Object.assign(new Error('Unauthorized'), { status: 401 });
    expect(classifyError(http401)).toBe('auth');
    expect(classifyError(new HatagoError('ERR_UPSTREAM_UNAVAILABLE', { data: { server: 'gh', httpStatus: 403 } }))).toBe('auth');
    expect(classifyError(new HatagoError('ERR_UPSTREAM_UNAVAILABLE', { cause: Object.assign(new Error('Forbidden'), { statusCode: 403 }) }))).toBe('auth');
    expect(classifyError(new UpstreamRpcError('gh', -32001, 'unauthorized', { status: 401 }))).toBe('auth');
    // hatago's own status (ERR_CIRCUIT_OPEN is 503, ERR_UNAUTHENTICATED is 401) is not an upstream's
    expect(classifyError(new HatagoError('ERR_UNAUTHENTICATED'))).toBeNull();
  });

  it('transport errors are connection; cancellations and the hub\'s own refusals count for nothing', () => {
    expect(classifyError(new TypeError('fetch failed'))).toBe('connection');
    expect(classifyError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe('connection');
    expect(classifyError(new DOMException('aborted', 'AbortError'))).toBeNull();
    expect(classifyError(new HatagoError('ERR_PERMISSION_DENIED'))).toBeNull();
    expect(classifyError(new HatagoError('ERR_CLIENT_CAPABILITY'))).toBeNull();
    expect(classifyError(new HatagoError('ERR_CIRCUIT_OPEN'))).toBeNull();
  });
});
