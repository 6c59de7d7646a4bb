// Opens one MCP session over Streamable HTTP with plain fetch (initialize, then notifications/initialized) and
// returns the headers a load generator sends on every call of that session (protocolVersion: the revision it asks for).
export async function openSession(url, extraHeaders = {}, protocolVersion = '2025-06-18') {
  const base = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...extraHeaders };
  const init = { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion, capabilities: {}, clientInfo: { name: 'bench', version: '1' } } };
  const res = await fetch(url, { method: 'POST', headers: base, body: JSON.stringify(init) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`initialize at ${url}: HTTP ${res.status} ${text.slice(0, 300)}`);
  const json = JSON.parse(text.startsWith('{') ? text : /^data: (.*)$/m.exec(text)[1]);
  if (json.error) throw new Error(`initialize at ${url}: ${JSON.stringify(json.error)}`);
  const session = res.headers.get('mcp-session-id');
  const headers = { ...extraHeaders, 'MCP-Protocol-Version': json.result.protocolVersion, ...(session && { 'Mcp-Session-Id': session }) };
  const note = await fetch(url, { method: 'POST', headers: { ...base, ...headers }, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) });
  await note.arrayBuffer();
  if (note.status !== 202 && note.status !== 200) throw new Error(`notifications/initialized at ${url}: HTTP ${note.status}`);
  return { headers, session, close: () => (session ? fetch(url, { method: 'DELETE', headers: { ...base, ...headers } }).then((r) => r.arrayBuffer()) : Promise.resolve()) };
}

/** A tools/call of `tool` with `text`, the id left for the load generator to fill in. */
export const callBody = (tool, text) => JSON.stringify({ jsonrpc: '2.0', id: '__ID__', method: 'tools/call', params: { name: tool, arguments: { text } } }).replace('"__ID__"', '__ID__');
