// The http connector: `POST /input` with records separated by a delimiter, optionally gzip. The
// answer (204) comes only after every record of the body was handed to the sink, so a client that
// got it may forget the batch; a refused body (413, 503) was handed over not at all.
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from "node:http"
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https"
import type { Socket } from "node:net"
import { Effect } from "effect"
import { MaxRawEventBytes } from "../../model/Collector.ts"
import { effectiveTls, MaxConnectorBufferBytes, type HttpConnector as HttpConnectorSpec } from "../../model/Connector.ts"
import { CollectorError } from "../CollectorError.ts"
import * as ServerTls from "../tls/ServerTls.ts"
import { TlsHandshakeRefused } from "../tls/TlsHandshakeRefused.ts"
import type { ConnectorOptions, ConnectorSink, RunningConnector } from "./ConnectorSink.ts"
import { decodeBody } from "./decodeBody.ts"
import { sourceAddress } from "./sourceAddress.ts"
import { splitBody } from "./splitBody.ts"

export const InputPath = "/input"
export const DefaultMaxBodyBytes = 16 * 1024 * 1024
/** All bodies being received at once may hold this much; past it further data is answered 503. */
const MaxInFlightBytes = MaxConnectorBufferBytes
const MaxConnections = 1_024
const HandshakeTimeoutMs = 10_000
const AcceptedEncodings = new Set(["identity", "gzip", "x-gzip"])

const reply = (response: ServerResponse, status: number, message: string | undefined, headers: Record<string, string> = {}): void => {
  if (response.headersSent) return
  for (const [name, value] of Object.entries(headers)) response.setHeader(name, value)
  if (message === undefined) {
    response.writeHead(status).end()
    return
  }
  response.writeHead(status, { "Content-Type": "application/json" }).end(JSON.stringify({ message }))
}

/** Listens for the lifetime of the scope; closing the scope closes every connection. */
export const listen = (spec: HttpConnectorSpec, sink: ConnectorSink, options: ConnectorOptions = {}) =>
  Effect.gen(function* () {
    const tls = yield* ServerTls.serverOptions(effectiveTls(spec), options.tls)
    const delimiter = spec.delimiter.charCodeAt(0)
    const maxBodyBytes = spec.maxBodyBytes ?? DefaultMaxBodyBytes
    const description = tls === undefined ? "http" : "https"
    return yield* Effect.acquireRelease(
      Effect.async<RunningConnector & { readonly close: () => Promise<void> }, CollectorError>((resume) => {
        const rawSockets = new Set<Socket>()
        let paused = false
        let inFlightBytes = 0

        const handle = (request: IncomingMessage, response: ServerResponse): void => {
          const path = (request.url ?? "").split("?", 1)[0]
          if (path !== InputPath) return reply(response, 404, `not found: records are posted to ${InputPath}`)
          if (request.method !== "POST") return reply(response, 405, `method ${request.method ?? ""} not allowed: use POST`, { Allow: "POST" })
          // Refusals before the body is read close the connection, so Node does not go on to read and discard a body we will not take.
          if (paused) return reply(response, 503, "the collector is busy; retry later", { "Retry-After": "1", Connection: "close" })
          const encoding = (request.headers["content-encoding"] ?? "identity").trim().toLowerCase()
          if (!AcceptedEncodings.has(encoding))
            return reply(response, 415, `content encoding ${encoding} is not supported: send identity or gzip`, { Connection: "close" })
          const declaredLength = Number(request.headers["content-length"] ?? "0")
          if (declaredLength > maxBodyBytes) return reply(response, 413, `the body is larger than ${maxBodyBytes} bytes`, { Connection: "close" })

          const address = sourceAddress(request.socket.remoteAddress)
          const chunks: Array<Buffer> = []
          let heldBytes = 0
          let refused = false
          const release = () => {
            inFlightBytes -= heldBytes
            heldBytes = 0
          }
          const refuse = (status: number, message: string, headers: Record<string, string>) => {
            refused = true
            chunks.length = 0
            release()
            reply(response, status, message, { ...headers, Connection: "close" })
          }
          request.on("data", (chunk: Buffer) => {
            if (refused) return
            if (heldBytes + chunk.length > maxBodyBytes) return refuse(413, `the body is larger than ${maxBodyBytes} bytes`, {})
            if (inFlightBytes + chunk.length > MaxInFlightBytes) return refuse(503, "the collector is busy; retry later", { "Retry-After": "1" })
            chunks.push(chunk)
            heldBytes += chunk.length
            inFlightBytes += chunk.length
          })
          request.on("close", release)
          request.on("error", (cause) => {
            release()
            sink.connectionError(cause)
          })
          request.on("end", () => {
            if (refused) return
            const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, heldBytes)
            chunks.length = 0
            decodeBody(body, encoding, maxBodyBytes, (decoded) => {
              release()
              if (decoded === "tooLarge") return reply(response, 413, `the body is larger than ${maxBodyBytes} bytes once decompressed`)
              if (decoded === "corrupt") return reply(response, 400, "the body is not valid gzip")
              splitBody(decoded, delimiter, MaxRawEventBytes, { record: (text) => sink.record(text, address), oversize: sink.oversize })
              reply(response, 204, undefined)
            })
          })
        }

        let server: HttpServer | HttpsServer
        if (tls === undefined) server = createHttpServer(handle)
        else {
          const httpsServer = createHttpsServer({ ...tls, handshakeTimeout: HandshakeTimeoutMs }, handle)
          TlsHandshakeRefused.watch(httpsServer, (refused) => sink.connectionError(refused), sourceAddress)
          server = httpsServer
        }
        server.maxConnections = MaxConnections
        server.on("drop", (dropped) =>
          sink.connectionError(
            new CollectorError({ message: `${description} connector refused a connection from ${sourceAddress(dropped?.remoteAddress)}: ${MaxConnections} connections are open` })
          )
        )
        server.on("connection", (raw: Socket) => {
          rawSockets.add(raw)
          raw.on("close", () => rawSockets.delete(raw))
        })
        server.on("clientError", (cause: Error & { code?: string }, socket: Socket) => {
          // A peer dropping an idle keep-alive connection is normal, not an error worth counting.
          if (cause.code !== "ECONNRESET") sink.connectionError(cause)
          if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n")
          else socket.destroy()
        })
        server.once("error", (cause) =>
          resume(Effect.fail(new CollectorError({ message: `${description} connector cannot listen on ${spec.host}:${spec.port}`, cause })))
        )
        server.listen(spec.port, spec.host, () => {
          server.removeAllListeners("error")
          server.on("error", (cause) => sink.connectionError(cause))
          const address = server.address()
          resume(
            Effect.succeed({
              port: typeof address === "object" && address !== null ? address.port : spec.port,
              pause: () => {
                paused = true
              },
              resume: () => {
                paused = false
              },
              close: () =>
                new Promise<void>((done) => {
                  for (const socket of rawSockets) socket.destroy()
                  server.close(() => done())
                })
            })
          )
        })
      }),
      (connector) => Effect.promise(() => connector.close())
    )
  })
