// Which OTLP encoding the hub exports in: the config's key, else the
// standard variables (the traces one before the general one), else
// http/protobuf; grpc or a typo is refused with the key or variable named.
import { HatagoError } from '../../src/errors/index.js';
import { tracesProtocol } from '../../src/telemetry/tracing.js';

describe('tracesProtocol', () => {
  it('is http/protobuf unless something says otherwise', () => {
    expect(tracesProtocol(undefined, {})).toBe('http/protobuf');
    expect(tracesProtocol({ traces: {} }, { OTEL_EXPORTER_OTLP_PROTOCOL: ' ' })).toBe('http/protobuf');
  });

  it('reads OTEL_EXPORTER_OTLP_TRACES_PROTOCOL before OTEL_EXPORTER_OTLP_PROTOCOL, and the config before both', () => {
    expect(tracesProtocol(undefined, { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' })).toBe('http/json');
    expect(tracesProtocol(undefined, { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf' })).toBe('http/protobuf');
    expect(tracesProtocol({ traces: { protocol: 'http/json' } }, { OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc' })).toBe('http/json');
  });

  it.each([
    ['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'grpc'],
    ['OTEL_EXPORTER_OTLP_PROTOCOL', 'http/proto'],
  ])('%s=%s is ERR_CONFIG_INVALID naming it', (name, value) => {
    let err: unknown;
    try {
      tracesProtocol(undefined, { [name]: value });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HatagoError);
    expect((err as HatagoError).code).toBe('ERR_CONFIG_INVALID');
    expect((err as HatagoError).message).toBe(`${name}=${value}: traces are exported over OTLP/HTTP only (http/protobuf or http/json)`);
  });
});
