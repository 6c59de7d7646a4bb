// The upstream's 2026-07-28 identity stamp is dropped from its results; nothing else is touched.
import { describe, expect, test } from '@jest/globals';
import { SERVER_INFO_META, dropServerInfoStamp } from '../../src/upstreams/server-info-stamp.js';

const stamp = { name: 'py-fixture', version: '1.0.0' };

describe('dropServerInfoStamp', () => {
  test('removes the stamp from a result and keeps the other _meta keys', () => {
    const m = { jsonrpc: '2.0', id: 1, result: { content: [], _meta: { [SERVER_INFO_META]: stamp, 'example.com/trace': 'x' } } };
    dropServerInfoStamp(m);
    expect(m.result).toEqual({ content: [], _meta: { 'example.com/trace': 'x' } });
  });

  test('removes a _meta that held only the stamp', () => {
    const m = { jsonrpc: '2.0', id: 'a', result: { content: [], _meta: { [SERVER_INFO_META]: stamp } } };
    dropServerInfoStamp(m);
    expect(m.result).toEqual({ content: [] });
  });

  test('leaves requests, notifications, errors and stamp-less results as they are', () => {
    const messages = [
      { jsonrpc: '2.0', id: 2, method: 'sampling/createMessage', params: { _meta: { [SERVER_INFO_META]: stamp } } },
      { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 1, progress: 1 } },
      { jsonrpc: '2.0', id: 3, error: { code: -32603, message: 'x' } },
      { jsonrpc: '2.0', id: 4, result: { content: [], _meta: { other: 1 } } },
    ];
    const before = structuredClone(messages);
    for (const m of messages) dropServerInfoStamp(m);
    expect(messages).toEqual(before);
  });
});
