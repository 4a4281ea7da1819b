// The tcp connector: accepts connections on one address and frames records by delimiter.
// Flow control is the collector's: it pauses every socket while its buffer is full.
import { Effect } from "effect"
import { createServer, type Socket } from "node:net"
import { MaxRawEventBytes, type TcpConnector as TcpConnectorSpec } from "../../model/Collector.ts"
import { CollectorError } from "../CollectorError.ts"
import { RecordFramer } from "./RecordFramer.ts"

export interface ConnectorSink {
  readonly record: (text: string) => void
  readonly oversize: (bytes: number) => void
  readonly connectionError: (cause: Error) => void
}

export interface RunningConnector {
  readonly port: number
  readonly pause: () => void
  readonly resume: () => void
}

/** Listens for the lifetime of the scope; closing the scope closes every connection. */
export const listen = (spec: TcpConnectorSpec, sink: ConnectorSink) =>
  Effect.acquireRelease(
    Effect.async<RunningConnector & { close: () => Promise<void> }, CollectorError>((resume) => {
      const sockets = new Set<Socket>()
      let paused = false
      const delimiter = spec.delimiter.charCodeAt(0)
      const server = createServer((socket) => {
        sockets.add(socket)
        if (paused) socket.pause()
        const framer = new RecordFramer(delimiter, MaxRawEventBytes, sink)
        socket.on("data", (chunk: Buffer) => framer.push(chunk))
        socket.on("end", () => framer.end())
        socket.on("error", (cause) => sink.connectionError(cause))
        socket.on("close", () => sockets.delete(socket))
      })
      server.once("error", (cause) => resume(Effect.fail(new CollectorError({ message: `cannot listen on ${spec.host}:${spec.port}`, cause }))))
      server.listen(spec.port, spec.host, () => {
        const address = server.address()
        const port = typeof address === "object" && address !== null ? address.port : spec.port
        resume(
          Effect.succeed({
            port,
            pause: () => {
              paused = true
              for (const socket of sockets) socket.pause()
            },
            resume: () => {
              paused = false
              for (const socket of sockets) socket.resume()
            },
            close: () =>
              new Promise<void>((done) => {
                for (const socket of sockets) socket.destroy()
                server.close(() => done())
              })
          })
        )
      })
    }),
    (connector) => Effect.promise(() => connector.close())
  )
