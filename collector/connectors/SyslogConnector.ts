// The syslog connector: over UDP one datagram is one message (RFC 5426); over TCP and TLS each
// message is framed by octet counting or by LF, detected per message (see SyslogFramer).
import { Effect } from "effect"
import { MaxRawEventBytes } from "../../model/Collector.ts"
import { effectiveTls, type SyslogConnector as SyslogConnectorSpec } from "../../model/Connector.ts"
import * as ServerTls from "../tls/ServerTls.ts"
import type { ConnectorOptions, ConnectorSink } from "./ConnectorSink.ts"
import * as StreamListener from "./StreamListener.ts"
import { SyslogFramer } from "./SyslogFramer.ts"
import * as UdpConnector from "./UdpConnector.ts"

/** Listens for the lifetime of the scope; closing the scope closes every connection. */
export const listen = (spec: SyslogConnectorSpec, sink: ConnectorSink, options: ConnectorOptions = {}) =>
  Effect.gen(function* () {
    if (spec.transport === "udp") return yield* UdpConnector.listen({ kind: "udp", host: spec.host, port: spec.port }, sink, "syslog over udp")
    const tls = yield* ServerTls.serverOptions(effectiveTls(spec), options.tls)
    return yield* StreamListener.listen(
      { host: spec.host, port: spec.port, tls, description: `syslog over ${spec.transport}` },
      sink,
      (address) =>
        new SyslogFramer(MaxRawEventBytes, {
          record: (text) => sink.record(text, address),
          oversize: sink.oversize,
          invalidFrame: sink.connectionError
        })
    )
  })
