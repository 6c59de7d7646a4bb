import { PassThrough } from 'node:stream';
import { JsonLinesTransport } from '../../src/stdio/json-lines-transport.js';

async function setup(maxLineBytes?: number) {
  const input = new PassThrough();
  const output = new PassThrough();
  const t = new JsonLinesTransport(input, output, maxLineBytes);
  const messages: unknown[] = [];
  const written: unknown[] = [];
  t.onmessage = (m) => messages.push(m);
  output.setEncoding('utf8');
  let out = '';
  output.on('data', (c: string) => {
    out += c;
    let nl: number;
    while ((nl = out.indexOf('\n')) >= 0) {
      written.push(JSON.parse(out.slice(0, nl)));
      out = out.slice(nl + 1);
    }
  });
  await t.start();
  const settle = () => new Promise((r) => setImmediate(r));
  return { t, input, messages, written, settle };
}

describe('JsonLinesTransport', () => {
  it('frames messages split across chunks and several in one chunk', async () => {
    const { input, messages, settle } = await setup();
    input.write('{"jsonrpc":"2.0","id":1,');
    input.write('"method":"ping"}\n{"jsonrpc":"2.0","method":"notifications/initialized"}\n\n{"a":');
    input.write('1}\n');
    await settle();
    expect(messages).toEqual([{ jsonrpc: '2.0', id: 1, method: 'ping' }, { jsonrpc: '2.0', method: 'notifications/initialized' }, { a: 1 }]);
  });

  it('answers a line that is not JSON with ERR_PARSE and id null, and goes on', async () => {
    const { input, messages, written, settle } = await setup();
    input.write('nope\n{"ok":true}\n');
    await settle();
    expect(written).toEqual([{ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error: the body is not valid JSON', data: { code: 'ERR_PARSE' } } }]);
    expect(messages).toEqual([{ ok: true }]);
  });

  it('refuses an oversized line once, skips the rest of it, and reads the next line', async () => {
    const { input, messages, written, settle } = await setup(64);
    input.write(`{"big":"${'x'.repeat(50)}`);
    input.write(`${'y'.repeat(50)}`);
    input.write(`${'z'.repeat(50)}"}\n{"next":1}\n`);
    await settle();
    expect(written).toHaveLength(1);
    expect(written[0]).toMatchObject({ id: null, error: { data: { code: 'ERR_BODY_TOO_LARGE' } } });
    expect(messages).toEqual([{ next: 1 }]);
  });

  it('refuses a line nested deeper than the limit before parsing it', async () => {
    const { input, messages, written, settle } = await setup();
    input.write(`{"a":${'['.repeat(100)}${']'.repeat(100)}}\n`);
    await settle();
    expect(messages).toEqual([]);
    expect(written[0]).toMatchObject({ id: null, error: { data: { code: 'ERR_LIMIT_EXCEEDED', limit: 'depth' } } });
  });
});
