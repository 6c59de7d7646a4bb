// The pure parts of src/upstreams/modern-era.ts: the input_required loop and
// the rule that attributes in-call log messages.
import { describe, expect, test } from '@jest/globals';
import { HatagoError } from '../../src/errors/index.js';
import { CallNotifier, completeInputRequired, MAX_INPUT_ROUNDS, withLogLevel } from '../../src/upstreams/modern-era.js';

describe('completeInputRequired', () => {
  test('answers each round\'s input requests and sends them back with the upstream\'s requestState', async () => {
    const sent: unknown[] = [];
    const asked: unknown[] = [];
    const rounds = [
      { resultType: 'input_required', inputRequests: { s: { method: 'sampling/createMessage', params: { maxTokens: 1 } } }, requestState: 'one' },
      { resultType: 'input_required', inputRequests: { e: { method: 'elicitation/create', params: { message: 'm' } } } },
      { resultType: 'complete', content: [] },
    ];
    const result = await completeInputRequired(
      'up',
      async (p) => {
        sent.push(p);
        return rounds[sent.length - 1]!;
      },
      { name: 't', arguments: {} },
      async (method, params) => {
        asked.push({ method, params });
        return { answer: method };
      },
    );
    expect(result).toEqual({ resultType: 'complete', content: [] });
    expect(asked).toEqual([{ method: 'sampling/createMessage', params: { maxTokens: 1 } }, { method: 'elicitation/create', params: { message: 'm' } }]);
    expect(sent).toEqual([
      { name: 't', arguments: {} },
      { name: 't', arguments: {}, inputResponses: { s: { answer: 'sampling/createMessage' } }, requestState: 'one' },
      // The second round's answers replace the first's; no requestState was given this time.
      { name: 't', arguments: {}, inputResponses: { e: { answer: 'elicitation/create' } } },
    ]);
  });

  test(`an upstream still asking after ${MAX_INPUT_ROUNDS} rounds fails the call with ERR_UPSTREAM_ERROR`, async () => {
    let sends = 0;
    const err = await completeInputRequired(
      'up',
      async () => {
        sends++;
        return { resultType: 'input_required', requestState: 'again' };
      },
      undefined,
      async () => ({}),
    ).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(HatagoError);
    expect(err).toMatchObject({ code: 'ERR_UPSTREAM_ERROR', message: 'Upstream server "up" failed', detail: `still input_required after ${MAX_INPUT_ROUNDS} rounds` });
    expect(sends).toBe(MAX_INPUT_ROUNDS + 1);
  });

  test('an input request without a method fails the call with ERR_UPSTREAM_ERROR, asking nobody', async () => {
    const asked: string[] = [];
    const err = await completeInputRequired(
      'up',
      async () => ({ resultType: 'input_required', inputRequests: { x: { params: {} } } }),
      undefined,
      async (m) => {
        asked.push(m);
        return {};
      },
    ).then(() => undefined, (e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_UPSTREAM_ERROR', message: 'Upstream server "up" failed', detail: 'input request "x" has no method' });
    expect(asked).toEqual([]);
  });
});

describe('withLogLevel', () => {
  test('names the most verbose level, keeping the rest of _meta', () => {
    expect(withLogLevel({ name: 't', _meta: { progressToken: 1 } })).toEqual({ name: 't', _meta: { progressToken: 1, 'io.modelcontextprotocol/logLevel': 'debug' } });
    expect(withLogLevel(undefined)).toEqual({ _meta: { 'io.modelcontextprotocol/logLevel': 'debug' } });
  });
});

describe('CallNotifier', () => {
  const a = () => undefined;
  const b = () => undefined;

  test('the one call in flight gets its notifications', () => {
    const n = new CallNotifier();
    expect(n.target()).toBeUndefined();
    const end = n.begin(a);
    expect(n.target()).toBe(a);
    end();
    expect(n.target()).toBeUndefined();
  });

  test('overlapping calls get none, not even after the other ended', () => {
    const n = new CallNotifier();
    const endA = n.begin(a);
    const endB = n.begin(b);
    expect(n.target()).toBeUndefined();
    endB();
    expect(n.target()).toBeUndefined();
    endA();
    const endC = n.begin(b);
    expect(n.target()).toBe(b);
    endC();
  });
});
