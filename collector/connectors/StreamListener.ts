// Accepts stream connections (plain TCP or TLS) on one address and feeds each connection's bytes
// to its own framer. Flow control is the collector's: pause stops reading every socket, so the
// kernel's window pushes back on the senders. Closing drains: a peer that sees our FIN and then
// its own FIN answered knows everything it sent was read (the agent's only confirmation).
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from "node:net"
import { createServer as createTlsServer, type TlsOptions } from "node:tls"
import { Effect } from "effect"
import { CollectorError } from "../CollectorError.ts"
import { TlsHandshakeRefused } from "../tls/TlsHandshakeRefused.ts"
import type { ConnectorSink, RunningConnector } from "./ConnectorSink.ts"
import { sourceAddress } from "./sourceAddress.ts"

/** What a connection's bytes go through. */
export interface StreamFramer {
  readonly push: (chunk: Buffer) => void
  readonly end: () => void
}

export interface StreamListenerOptions {
  readonly host: string
  readonly port: number
  /** Undefined: plain TCP. */
  readonly tls: TlsOptions | undefined
  /** Socket read high-water mark in bytes; Node's default when absent. */
  readonly highWaterMark?: number
  /** Names the connector in error messages ("tcp", "syslog over tls"). */
  readonly description: string
  /** Connections beyond this are refused and counted; 1,024 when absent. */
  readonly maxConnections?: number
  /** How long closing waits for peers to end their side; 5 s when absent. */
  readonly drainTimeoutMs?: number
}

/**
 * Each connection may hold up to a record limit of unfinished input, so the number of connections
 * bounds the memory peers can pin.
 */
const MaxConnections = 1_024
/** A client that has not finished its TLS handshake by then is dropped. */
const HandshakeTimeoutMs = 10_000
/** A peer that has not answered our FIN by then is destroyed (reset) and counted. */
const DrainTimeoutMs = 5_000

/**
 * Listens for the lifetime of the scope. Closing the scope drains: no new connections, a FIN on
 * each open one, reading and framing on until the peer's FIN (or the drain timeout), then done.
 */
export const listen = (options: StreamListenerOptions, sink: ConnectorSink, openFramer: (sourceAddress: string) => StreamFramer) =>
  Effect.acquireRelease(
    Effect.async<RunningConnector & { readonly close: () => Promise<void> }, CollectorError>((resume) => {
      // Raw sockets are what closing destroys; readers (the TLS socket on TLS) are what pausing stops.
      const rawSockets = new Set<Socket>()
      const readers = new Set<Socket>()
      let paused = false
      let draining = false
      const onConnection = (socket: Socket) => {
        readers.add(socket)
        if (paused && !draining) socket.pause()
        const framer = openFramer(sourceAddress(socket.remoteAddress))
        socket.on("data", (chunk: Buffer) => framer.push(chunk))
        // The peer's FIN: everything it sent has been read, so its last record is complete.
        socket.on("end", () => framer.end())
        socket.on("error", (cause) => sink.connectionError(cause))
        socket.on("close", () => readers.delete(socket))
        // A TLS handshake that finished while draining: nothing to wait for but the peer's FIN.
        if (draining) socket.end()
      }
      const highWater = options.highWaterMark === undefined ? {} : { highWaterMark: options.highWaterMark }
      let server: TcpServer
      if (options.tls === undefined) server = createTcpServer({ ...highWater }, onConnection)
      else {
        const tlsServer = createTlsServer({ ...options.tls, ...highWater, handshakeTimeout: HandshakeTimeoutMs }, onConnection)
        TlsHandshakeRefused.watch(tlsServer, (refused) => sink.connectionError(refused), sourceAddress)
        server = tlsServer
      }
      const maxConnections = options.maxConnections ?? MaxConnections
      server.maxConnections = maxConnections
      server.on("drop", (dropped) =>
        sink.connectionError(
          new CollectorError({ message: `${options.description} connector refused a connection from ${sourceAddress(dropped?.remoteAddress)}: ${maxConnections} connections are open` })
        )
      )
      server.on("connection", (raw: Socket) => {
        rawSockets.add(raw)
        raw.on("close", () => rawSockets.delete(raw))
        // A raw socket error on TLS also surfaces as a TLS client error; without TLS the reader reports it.
        raw.on("error", () => {})
      })
      server.once("error", (cause) =>
        resume(Effect.fail(new CollectorError({ message: `${options.description} connector cannot listen on ${options.host}:${options.port}`, cause })))
      )
      server.listen(options.port, options.host, () => {
        server.removeAllListeners("error")
        server.on("error", (cause) => sink.connectionError(cause))
        const address = server.address()
        const port = typeof address === "object" && address !== null ? address.port : options.port
        resume(
          Effect.succeed({
            port,
            pause: () => {
              paused = true
              if (draining) return
              for (const socket of readers) socket.pause()
            },
            resume: () => {
              paused = false
              for (const socket of readers) socket.resume()
            },
            close: () =>
              new Promise<void>((done) => {
                draining = true
                const drainTimeoutMs = options.drainTimeoutMs ?? DrainTimeoutMs
                const timer = setTimeout(() => {
                  for (const socket of readers) {
                    sink.connectionError(
                      new CollectorError({
                        message: `${options.description} connector reset the connection from ${sourceAddress(socket.remoteAddress)}: the peer did not close within ${drainTimeoutMs} ms of the collector stopping`
                      })
                    )
                  }
                  // A reset, not a quiet close: the peer must not take the end for a confirmation of
                  // what it sent. Raw sockets include TLS handshakes in progress, which carried no record.
                  for (const socket of rawSockets) socket.resetAndDestroy()
                  for (const socket of readers) socket.destroy()
                }, drainTimeoutMs)
                // Called once the last connection closed, i.e. every peer's FIN was read or the timeout struck.
                server.close(() => {
                  clearTimeout(timer)
                  done()
                })
                // Draining overrides the collector's pause: a paused socket would hold the peer's FIN
                // behind unread bytes until the timeout resets it, and the peer would send again
                // elsewhere. The surplus is bounded: a peer that saw our FIN sends nothing new (the
                // agent stops writing), so only bytes already in flight arrive, and the collector
                // buffers them past its high-water mark for at most the drain timeout.
                for (const socket of readers) {
                  socket.end()
                  socket.resume()
                }
              })
          })
        )
      })
    }),
    (connector) => Effect.promise(() => connector.close())
  )
