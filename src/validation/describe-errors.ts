import type { ErrorObject } from 'ajv';

/** An ajv error as a client may see it: where, which keyword, and ajv's message. Never the value. */
export interface ValidationIssue {
  path: string;
  keyword: string;
  message: string;
}

const MAX_ISSUES = 10;

export function describeErrors(errors: readonly ErrorObject[] | null | undefined, prefix = ''): ValidationIssue[] {
  return (errors ?? []).slice(0, MAX_ISSUES).map((e) => {
    const extra = e.keyword === 'additionalProperties' ? `/${(e.params as { additionalProperty: string }).additionalProperty}` : '';
    return { path: `${prefix}${e.instancePath}${extra}` || '/', keyword: e.keyword, message: e.message ?? 'is invalid' };
  });
}
