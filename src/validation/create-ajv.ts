// One place that builds ajv instances. Schemas we write are strict; schemas
// upstream servers send are not ours, so they get a lenient instance of the
// dialect they declare (MCP's default dialect is 2020-12; SDK-generated
// schemas say draft-07). Nothing coerces, removes or defaults: a request is
// checked, never rewritten.

import { Ajv, type Options } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS: its default export arrives wrapped under NodeNext.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

export type AnyAjv = Ajv | Ajv2019 | Ajv2020;

export function strictAjv(): Ajv {
  return addFormats(new Ajv({ allErrors: true, strict: true, strictRequired: false, strictTypes: false, allowUnionTypes: true }));
}

const LENIENT: Options = { allErrors: true, strict: false, validateSchema: true, logger: false };

export type Dialect = 'draft-07' | '2019-09' | '2020-12';

export function dialectOf(schema: unknown): Dialect {
  const uri = typeof schema === 'object' && schema !== null ? (schema as { $schema?: unknown }).$schema : undefined;
  if (typeof uri !== 'string') return '2020-12';
  if (uri.includes('2020-12')) return '2020-12';
  if (uri.includes('2019-09')) return '2019-09';
  return 'draft-07';
}

export function lenientAjv(dialect: Dialect): AnyAjv {
  const ajv = dialect === '2020-12' ? new Ajv2020(LENIENT) : dialect === '2019-09' ? new Ajv2019(LENIENT) : new Ajv(LENIENT);
  addFormats(ajv as Ajv);
  return ajv;
}
