#!/usr/bin/env node
// The demo upstream of the embedded default config: a tiny stdio MCP server,
// so `npm start` shows a working hub with no other setup.
import { McpServer } from '@modelcontextprotocol/server';
import { StdioServerTransport } from '@modelcontextprotocol/server/stdio';
import { z } from 'zod';

const server = new McpServer({ name: 'hatago-demo', version: '1.0.0' });

server.registerTool('echo', { description: 'Echoes the text back', inputSchema: z.object({ text: z.string().max(10_000) }) }, ({ text }) => ({
  content: [{ type: 'text', text }],
}));

server.registerTool('add', { description: 'Adds two numbers', inputSchema: z.object({ a: z.number(), b: z.number() }) }, ({ a, b }) => ({
  content: [{ type: 'text', text: String(a + b) }],
}));

server.registerTool('time', { description: 'Current server time (ISO 8601)' }, () => ({
  content: [{ type: 'text', text: new Date().toISOString() }],
}));

server.registerPrompt('greet', { description: 'A greeting', argsSchema: z.object({ name: z.string() }) }, ({ name }) => ({
  messages: [{ role: 'user', content: { type: 'text', text: `Say hello to ${name}.` } }],
}));

server.registerResource('readme', 'demo://readme', { mimeType: 'text/plain', description: 'About the demo upstream' }, (uri) => ({
  contents: [{ uri: uri.href, text: 'This is the hatago demo upstream.' }],
}));

await server.connect(new StdioServerTransport());
