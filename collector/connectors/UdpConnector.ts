// The udp connector: one datagram is one record, or several when a delimiter is configured.
// A datagram cannot be refused, so while the collector is paused records wait in a bounded
// buffer and the ones that do not fit are dropped and counted (see PausedBuffer).
import { createSocket, type RemoteInfo } from "node:dgram"
import { isIP } from "node:net"
import { Effect } from "effect"
import type { UdpConnector as UdpConnectorSpec } from "../../model/Connector.ts"
import { CollectorError } from "../CollectorError.ts"
import type { ConnectorSink, RunningConnector } from "./ConnectorSink.ts"
import { PausedBuffer } from "./PausedBuffer.ts"
import { RecordFramer } from "./RecordFramer.ts"
import { sourceAddress } from "./sourceAddress.ts"

/** What a paused udp connector holds before it drops. */
export const PausedBufferBytes = 16 * 1024 * 1024
/** A datagram is at most 64 KiB, far below the raw event limit, so no record here is oversize. */
const MaxDatagramBytes = 65_535

const LineFeed = 0x0a
const CarriageReturn = 0x0d
const Nul = 0x00

/** Senders commonly end a datagram with LF, CRLF or NUL; that trailer is not part of the record. */
const withoutTrailer = (datagram: Buffer): Buffer => {
  let end = datagram.length
  if (end > 0 && (datagram[end - 1] === LineFeed || datagram[end - 1] === Nul)) end--
  if (end > 0 && datagram[end - 1] === CarriageReturn) end--
  return end === datagram.length ? datagram : datagram.subarray(0, end)
}

/** Listens for the lifetime of the scope. */
export const listen = (spec: UdpConnectorSpec, sink: ConnectorSink, description = "udp") =>
  Effect.acquireRelease(
    Effect.async<RunningConnector & { readonly close: () => Promise<void> }, CollectorError>((resume) => {
      const socket = createSocket({ type: isIP(spec.host) === 6 ? "udp6" : "udp4" })
      const buffer = new PausedBuffer(PausedBufferBytes, sink, description)
      // One framer for the socket: a datagram is framed completely (push then end) before the next.
      let datagramAddress = ""
      const framer =
        spec.delimiter === undefined
          ? undefined
          : new RecordFramer(spec.delimiter.charCodeAt(0), MaxDatagramBytes, {
              record: (text) => buffer.offer(text, datagramAddress, Buffer.byteLength(text, "utf8")),
              oversize: sink.oversize
            })
      socket.on("message", (datagram: Buffer, remote: RemoteInfo) => {
        datagramAddress = sourceAddress(remote.address)
        if (framer !== undefined) {
          framer.push(datagram)
          framer.end()
          return
        }
        const record = withoutTrailer(datagram)
        if (record.length > 0) buffer.offer(record.toString("utf8"), datagramAddress, record.length)
      })
      socket.once("error", (cause) =>
        resume(Effect.fail(new CollectorError({ message: `${description} connector cannot listen on ${spec.host}:${spec.port}`, cause })))
      )
      socket.bind(spec.port, spec.host, () => {
        socket.removeAllListeners("error")
        socket.on("error", (cause) => sink.connectionError(cause))
        resume(
          Effect.succeed({
            port: socket.address().port,
            pause: () => buffer.pause(),
            resume: () => buffer.resume(),
            close: () => new Promise<void>((done) => socket.close(() => done()))
          })
        )
      })
    }),
    (connector) => Effect.promise(() => connector.close())
  )
