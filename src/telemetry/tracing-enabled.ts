// Whether traces are on, without importing the OpenTelemetry SDK: start-up loads src/telemetry/tracing.ts
// (and the SDK) only when this says yes.
import type { TelemetryConfig } from '../config/types.js';

/** Whether traces are on: the config says so, or the standard OTEL_TRACES_EXPORTER names otlp. */
export function tracingEnabled(config: TelemetryConfig | undefined, env: NodeJS.ProcessEnv): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  const explicit = config?.traces?.enabled;
  if (explicit !== undefined) return explicit;
  return (env.OTEL_TRACES_EXPORTER ?? '').split(',').map((s) => s.trim()).includes('otlp');
}
