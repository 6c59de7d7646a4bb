// JSON Schemas of what an upstream may answer to the methods the hub
// forwards and the listings it reads into its catalog (MCP 2025-11-25).
// Known fields are typed; unknown fields pass. The one schema source for
// upstream results: the SDK client is asked for any object (src/upstreams).

const contentBlock = {
  type: 'object',
  properties: { type: { enum: ['text', 'image', 'audio', 'resource_link', 'resource'] } },
  required: ['type'],
  allOf: [
    { if: { properties: { type: { const: 'text' } } }, then: { properties: { text: { type: 'string' } }, required: ['text'] } },
    { if: { properties: { type: { enum: ['image', 'audio'] } } }, then: { properties: { data: { type: 'string' }, mimeType: { type: 'string' } }, required: ['data', 'mimeType'] } },
    { if: { properties: { type: { const: 'resource_link' } } }, then: { properties: { uri: { type: 'string' }, name: { type: 'string' } }, required: ['uri', 'name'] } },
    {
      if: { properties: { type: { const: 'resource' } } },
      then: { properties: { resource: { type: 'object', properties: { uri: { type: 'string' } }, required: ['uri'] } }, required: ['resource'] },
    },
  ],
} as const;

const resourceContents = {
  type: 'object',
  properties: { uri: { type: 'string' }, mimeType: { type: 'string' }, text: { type: 'string' }, blob: { type: 'string' } },
  required: ['uri'],
} as const;

/** One page of a listing: `key` holds items that each have the `required` string fields. */
function listing(key: string, required: string[], extra: Record<string, object> = {}): object {
  const fields = Object.fromEntries(required.map((f) => [f, { type: 'string' }]));
  return {
    type: 'object',
    properties: {
      [key]: { type: 'array', items: { type: 'object', properties: { ...fields, ...extra }, required: [...required, ...Object.keys(extra)] } },
      nextCursor: { type: 'string' },
    },
    required: [key],
  };
}

export const RESULT_SCHEMAS: Record<string, object> = {
  'tools/list': listing('tools', ['name'], { inputSchema: { type: 'object' } }),
  'prompts/list': listing('prompts', ['name']),
  'resources/list': listing('resources', ['uri', 'name']),
  'resources/templates/list': listing('resourceTemplates', ['uriTemplate', 'name']),
  'tools/call': {
    type: 'object',
    properties: { content: { type: 'array', items: contentBlock }, structuredContent: { type: 'object' }, isError: { type: 'boolean' } },
    required: ['content'],
  },
  'prompts/get': {
    type: 'object',
    properties: {
      description: { type: 'string' },
      messages: {
        type: 'array',
        items: { type: 'object', properties: { role: { enum: ['user', 'assistant'] }, content: contentBlock }, required: ['role', 'content'] },
      },
    },
    required: ['messages'],
  },
  'resources/read': {
    type: 'object',
    properties: { contents: { type: 'array', items: resourceContents } },
    required: ['contents'],
  },
  'completion/complete': {
    type: 'object',
    properties: {
      completion: {
        type: 'object',
        properties: { values: { type: 'array', items: { type: 'string' } }, total: { type: 'integer' }, hasMore: { type: 'boolean' } },
        required: ['values'],
      },
    },
    required: ['completion'],
  },
  'resources/subscribe': { type: 'object' },
  'resources/unsubscribe': { type: 'object' },
};
