import { HatagoError, toJsonRpcError } from '../../src/errors/index.js';

describe('toJsonRpcError', () => {
  it('turns an unexpected error into ERR_INTERNAL with nothing of the original', () => {
    const { status, body } = toJsonRpcError(new Error('ECONNREFUSED 10.0.0.7:5432 password=hunter2'), 7);
    expect(status).toBe(500);
    expect(body).toEqual({ jsonrpc: '2.0', id: 7, error: { code: -32603, message: 'Internal error', data: { code: 'ERR_INTERNAL' } } });
    expect(toJsonRpcError('a thrown string').body.error.data).toEqual({ code: 'ERR_INTERNAL' });
  });

  it('keeps the client-safe message and data of a HatagoError, never its detail', () => {
    const err = new HatagoError('ERR_PERMISSION_DENIED', { detail: 'rbac.missing_permission', data: { decisionId: 'd-1' } });
    const { status, body } = toJsonRpcError(err, 'x');
    expect(status).toBe(403);
    expect(body.error).toEqual({ code: -32003, message: 'Forbidden: permission denied by policy', data: { code: 'ERR_PERMISSION_DENIED', decisionId: 'd-1' } });
    expect(JSON.stringify(body)).not.toContain('rbac');
  });
});
