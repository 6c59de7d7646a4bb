import {
  CallToolResultSchema,
  CompleteResultSchema,
  EmptyResultSchema,
  GetPromptResultSchema,
  ListPromptsResultSchema,
  ListResourcesResultSchema,
  ListResourceTemplatesResultSchema,
  ListToolsResultSchema,
  ReadResourceResultSchema,
} from '@modelcontextprotocol/sdk/types.js';

/** Revisions whose Streamable HTTP sessions the fast path speaks (2026-07-28 stays with the SDK). */
export const FAST_PATH_VERSIONS: ReadonlySet<string> = new Set(['2025-11-25', '2025-06-18', '2025-03-26']);

interface ResultSchema {
  safeParse(value: unknown): { success: true; data: unknown } | { success: false; error: unknown };
}

/** The result schemas the SDK client checks spec methods against (2025-11-25 shapes, defaults included). */
const RESULT_SCHEMAS: Record<string, ResultSchema> = {
  'tools/call': CallToolResultSchema,
  'tools/list': ListToolsResultSchema,
  'prompts/get': GetPromptResultSchema,
  'prompts/list': ListPromptsResultSchema,
  'resources/read': ReadResourceResultSchema,
  'resources/list': ListResourcesResultSchema,
  'resources/templates/list': ListResourceTemplatesResultSchema,
  'resources/subscribe': EmptyResultSchema,
  'resources/unsubscribe': EmptyResultSchema,
  'completion/complete': CompleteResultSchema,
  'logging/setLevel': EmptyResultSchema,
  ping: EmptyResultSchema,
};

export type FastResult = { ok: true; result: Record<string, unknown> } | { ok: false; reason: string };

/**
 * What the SDK client does with a 2025-era result before handing it over:
 * an object, `resultType` dropped, checked (and defaulted) by the method's
 * schema; methods outside the spec pass as any object.
 */
export function checkFastResult(method: string, raw: unknown): FastResult {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { ok: false, reason: `Invalid result for ${method}: not an object` };
  let value = raw as Record<string, unknown>;
  if ('resultType' in value) {
    value = { ...value };
    delete value.resultType;
  }
  const schema = RESULT_SCHEMAS[method];
  if (!schema) return { ok: true, result: value };
  const parsed = schema.safeParse(value);
  if (!parsed.success) return { ok: false, reason: `Invalid result for ${method}: ${String(parsed.error)}` };
  return { ok: true, result: parsed.data as Record<string, unknown> };
}
