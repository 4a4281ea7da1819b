// The tcp connector: accepts connections (plain or TLS) on one address and frames records by
// delimiter. Flow control is the collector's: it pauses every socket while its buffer is full.
import { Effect } from "effect"
import { MaxRawEventBytes } from "../../model/Collector.ts"
import { effectiveTls, type TcpConnector as TcpConnectorSpec } from "../../model/Connector.ts"
import * as ServerTls from "../tls/ServerTls.ts"
import type { ConnectorOptions, ConnectorSink } from "./ConnectorSink.ts"
import { RecordFramer } from "./RecordFramer.ts"
import * as StreamListener from "./StreamListener.ts"

export type { ConnectorOptions, ConnectorSink, RunningConnector } from "./ConnectorSink.ts"

/**
 * Listens for the lifetime of the scope; closing the scope drains every connection (see StreamListener). A record may
 * be as large as `bufferBytes` (default and at most the 4 MB raw event limit).
 */
export const listen = (spec: TcpConnectorSpec, sink: ConnectorSink, options: ConnectorOptions = {}) =>
  Effect.gen(function* () {
    const tls = yield* ServerTls.serverOptions(effectiveTls(spec), options.tls)
    const delimiter = spec.delimiter.charCodeAt(0)
    const maxRecordBytes = Math.min(spec.bufferBytes ?? MaxRawEventBytes, MaxRawEventBytes)
    return yield* StreamListener.listen(
      {
        host: spec.host,
        port: spec.port,
        tls,
        description: tls === undefined ? "tcp" : "tcp over tls",
        ...(spec.bufferBytes === undefined ? {} : { highWaterMark: spec.bufferBytes })
      },
      sink,
      (address) => new RecordFramer(delimiter, maxRecordBytes, { record: (text) => sink.record(text, address), oversize: sink.oversize })
    )
  })
