// JSON Schemas of what an upstream may answer to the methods the hub
// forwards (MCP 2025-11-25). Known fields are typed; unknown fields pass.

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

export const RESULT_SCHEMAS: Record<string, object> = {
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
