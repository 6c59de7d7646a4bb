// One sentence of "what to send instead" for the errors a hand-written
// request (curl, a guide's example) runs into first, with the page that has
// requests that work. Sent as `data.help`; the stable `code` is unchanged.
import type { ErrorCode } from './codes.js';

/** The page with working curl requests for both protocol revisions. */
export const CURL_DOC = 'docs/curl.md';

const HELP: Partial<Record<ErrorCode, string>> = {
  ERR_UNSUPPORTED_MEDIA_TYPE: `Send the body as JSON with the header Content-Type: application/json (curl -d alone sends a form); see ${CURL_DOC}`,
  ERR_SESSION_REQUIRED:
    `Send initialize first and repeat its Mcp-Session-Id response header on every request (2025-11-25), or send a stateless 2026-07-28 request with params._meta; see ${CURL_DOC}`,
};

/** A body that fails the JSON-RPC envelope schema (data.errors), e.g. the guide's `{"method": "tools/list"}`. */
const MESSAGE_HELP = `Send one JSON-RPC 2.0 message: {"jsonrpc":"2.0","id":1,"method":"...","params":{...}}; see ${CURL_DOC}`;

const ENVELOPE_HELP =
  `A 2026-07-28 request carries params._meta with "io.modelcontextprotocol/protocolVersion": "2026-07-28" and "io.modelcontextprotocol/clientCapabilities": {}; see ${CURL_DOC}`;

export function helpFor(code: ErrorCode, data?: Record<string, unknown>): string | undefined {
  if (code === 'ERR_INVALID_REQUEST') return Array.isArray(data?.errors) ? MESSAGE_HELP : undefined;
  return HELP[code];
}

/** Help for the MCP SDK's rejection of a request, when it names a missing `_meta` envelope. */
export function envelopeHelp(data: unknown): { help?: string } {
  const missing = (data as { envelope?: { missing?: unknown } } | undefined)?.envelope?.missing;
  return Array.isArray(missing) && missing.length > 0 ? { help: ENVELOPE_HELP } : {};
}
