// Tool arguments against the upstream tool's own `inputSchema`. Each
// server's tools are compiled when its tool list arrives (start, and every
// `catalog` event after a list_changed), with a fresh ajv instance per
// listing so old schemas are dropped and `$id`s of different servers never
// clash. A schema ajv cannot compile fails closed: calls to that tool are
// refused (ERR_UPSTREAM_ERROR) rather than forwarded unchecked.

import type { ValidateFunction } from 'ajv';
import { HatagoError } from '../errors/index.js';
import type { HubLogger } from '../hub/types.js';
import { silentLogger } from '../log/logger.js';
import type { McpItem, Upstream } from '../upstreams/types.js';
import { dialectOf, lenientAjv, type AnyAjv, type Dialect } from './create-ajv.js';
import { describeErrors } from './describe-errors.js';

type Compiled = { ok: true; validate: ValidateFunction } | { ok: false; reason: string };

export class ToolArgumentValidator {
  private readonly servers = new Map<string, Map<string, Compiled>>();
  private readonly log: HubLogger;

  constructor(logger: HubLogger = silentLogger) {
    this.log = logger;
  }

  /** Compiles every upstream's current tools and recompiles a server's on each of its `catalog` events. */
  watch(upstreams: readonly Upstream[]): () => void {
    const offs = upstreams.map((u) => {
      this.update(u.id, u.catalog().tools);
      const onCatalog = () => this.update(u.id, u.catalog().tools);
      u.on('catalog', onCatalog);
      return () => u.off('catalog', onCatalog);
    });
    return () => offs.forEach((off) => off());
  }

  /** Replaces the compiled schemas of one server. */
  update(server: string, tools: readonly McpItem[]): void {
    const ajvs = new Map<Dialect, AnyAjv>();
    const compiled = new Map<string, Compiled>();
    for (const tool of tools) {
      if (typeof tool.name !== 'string') continue;
      compiled.set(tool.name, this.compile(server, tool.name, tool.inputSchema, ajvs));
    }
    this.servers.set(server, compiled);
  }

  /** Throws ERR_INVALID_ARGUMENTS (with the schema errors) or ERR_UPSTREAM_ERROR (no usable schema). */
  check(server: string, tool: string, args: Record<string, unknown> | undefined): void {
    const compiled = this.servers.get(server)?.get(tool) ?? { ok: false, reason: 'no input schema known for this tool' };
    if (!compiled.ok) {
      throw new HatagoError('ERR_UPSTREAM_ERROR', {
        message: `Upstream server "${server}" declared an input schema hatago cannot check`,
        data: { server, tool, reason: 'uncheckable_input_schema' },
        detail: compiled.reason,
      });
    }
    // Absent arguments reach the upstream as none: check them as {}.
    if (!compiled.validate(args ?? {})) {
      throw new HatagoError('ERR_INVALID_ARGUMENTS', { data: { tool, errors: describeErrors(compiled.validate.errors, '/arguments') } });
    }
  }

  private compile(server: string, tool: string, schema: unknown, ajvs: Map<Dialect, AnyAjv>): Compiled {
    if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
      return this.uncompilable(server, tool, 'inputSchema is not an object');
    }
    const dialect = dialectOf(schema);
    let ajv = ajvs.get(dialect);
    if (!ajv) ajvs.set(dialect, (ajv = lenientAjv(dialect)));
    // The dialect picked the instance; `$schema` itself would make ajv look the meta-schema up.
    const { $schema: _dialect, ...body } = schema as Record<string, unknown>;
    try {
      return { ok: true, validate: ajv.compile(body) };
    } catch (err) {
      return this.uncompilable(server, tool, err instanceof Error ? err.message : String(err));
    }
  }

  private uncompilable(server: string, tool: string, reason: string): Compiled {
    this.log.warn('tool input schema cannot be compiled: calls to this tool are refused', { server, tool, reason });
    return { ok: false, reason };
  }
}
