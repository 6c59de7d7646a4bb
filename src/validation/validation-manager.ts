// The security guide's ValidationManager: named rules, each a JSON Schema
// compiled once by addRule, and validate(name, request) -> boolean.
//
// The guide writes a rule as a partial object schema, its properties at the
// top level ({ method: {...}, params: {...} }). Such a rule is wrapped as
// { type: "object", properties: <rule>, required: <its keys> }: a request
// must have every field the rule describes. A rule that already looks like
// a schema (it has `type`, `properties`, `$ref`, a combinator...) is used as
// it is.

import type { ValidateFunction } from 'ajv';
import { strictAjv } from './create-ajv.js';
import { describeErrors, type ValidationIssue } from './describe-errors.js';

export type { ValidationIssue } from './describe-errors.js';

export interface ValidationResult {
  valid: boolean;
  errors: ValidationIssue[];
}

const SCHEMA_KEYWORDS = ['type', 'properties', 'required', '$ref', 'allOf', 'anyOf', 'oneOf', 'not', 'enum', 'const', 'if', 'items', 'additionalProperties', 'patternProperties', '$schema', '$id'];

function looksLikeSchema(rule: Record<string, unknown>): boolean {
  return SCHEMA_KEYWORDS.some((k) => k in rule);
}

export function ruleToSchema(rule: Record<string, unknown>): Record<string, unknown> {
  if (looksLikeSchema(rule)) return rule;
  return { type: 'object', properties: rule, required: Object.keys(rule) };
}

export class ValidationManager {
  private readonly ajv = strictAjv();
  private readonly rules = new Map<string, ValidateFunction>();
  /** Errors of the last validate() call ([] when it passed). */
  lastErrors: ValidationIssue[] = [];

  /** Compiles `schema` under `name` (replacing a rule of that name). Throws when the schema is invalid. */
  addRule(name: string, schema: Record<string, unknown>): this {
    const validate = this.ajv.compile(ruleToSchema(schema));
    this.rules.set(name, validate);
    return this;
  }

  removeRule(name: string): boolean {
    return this.rules.delete(name);
  }

  hasRule(name: string): boolean {
    return this.rules.has(name);
  }

  /** True iff `request` satisfies rule `name`. An unknown rule fails (closed). */
  validate(name: string, request: unknown): boolean {
    const result = this.validateDetailed(name, request);
    this.lastErrors = result.errors;
    return result.valid;
  }

  validateDetailed(name: string, request: unknown): ValidationResult {
    const validate = this.rules.get(name);
    if (!validate) return { valid: false, errors: [{ path: '/', keyword: 'rule', message: `no validation rule named "${name}"` }] };
    const valid = validate(request);
    return { valid, errors: valid ? [] : describeErrors(validate.errors) };
  }
}
