// Starts the connector a collector's settings describe, whatever its kind; every kind offers the
// same running shape (port, pause, resume) and feeds the same sink.
import type { Effect, Scope } from "effect"
import type { ConnectorSpec } from "../../model/Connector.ts"
import type { CollectorError } from "../CollectorError.ts"
import type { TlsConfigInvalid } from "../tls/TlsConfigInvalid.ts"
import type { ConnectorOptions, ConnectorSink, RunningConnector } from "./ConnectorSink.ts"
import * as HttpConnector from "./HttpConnector.ts"
import * as NatsConnector from "./NatsConnector.ts"
import * as SyslogConnector from "./SyslogConnector.ts"
import * as TcpConnector from "./TcpConnector.ts"
import * as UdpConnector from "./UdpConnector.ts"

export type { ConnectorOptions, ConnectorSink, RunningConnector } from "./ConnectorSink.ts"

/** Listens (or subscribes) for the lifetime of the scope; a TLS setting that cannot be used fails with TlsConfigInvalid before anything listens. */
export const listen = (
  spec: ConnectorSpec,
  sink: ConnectorSink,
  options: ConnectorOptions = {}
): Effect.Effect<RunningConnector, CollectorError | TlsConfigInvalid, Scope.Scope> => {
  switch (spec.kind) {
    case "tcp":
      return TcpConnector.listen(spec, sink, options)
    case "udp":
      return UdpConnector.listen(spec, sink)
    case "http":
      return HttpConnector.listen(spec, sink, options)
    case "syslog":
      return SyslogConnector.listen(spec, sink, options)
    case "nats":
      return NatsConnector.listen(spec, sink)
  }
}
