// Test support: minimal real clients for the connectors (TCP, TLS, UDP, HTTP(S)) on loopback.
import { createSocket } from "node:dgram"
import { request as httpRequest, type OutgoingHttpHeaders } from "node:http"
import { request as httpsRequest } from "node:https"
import { connect as tcpConnect } from "node:net"
import { connect as tlsConnect, type ConnectionOptions } from "node:tls"

/** Writes `payload` on a fresh TCP connection and half-closes it; resolves once the bytes are with the kernel. */
export const sendTcp = (port: number, payload: string | Buffer, host = "127.0.0.1"): Promise<void> =>
  new Promise((resolve, reject) => {
    const socket = tcpConnect(port, host, () => socket.end(payload, () => resolve()))
    socket.on("error", reject)
    socket.resume()
  })

export interface TlsOutcome {
  /** The client-side error, if the handshake or the connection failed. */
  readonly error: Error | undefined
  readonly authorized: boolean
}

/**
 * Writes `payload` over TLS and waits for the server to close. A refused client (TLS 1.3 reports
 * a refused client certificate only after the handshake) resolves with the error rather than rejecting.
 */
export const sendTls = (port: number, payload: string | Buffer, options: ConnectionOptions): Promise<TlsOutcome> =>
  new Promise((resolve) => {
    let error: Error | undefined
    let authorized = false
    const socket = tlsConnect({ host: "127.0.0.1", port, ...options }, () => {
      authorized = socket.authorized
      socket.end(payload)
    })
    socket.on("error", (cause) => {
      error = cause
    })
    socket.on("close", () => resolve({ error, authorized }))
    socket.resume()
  })

/** Sends each payload as one datagram. */
export const sendUdp = (port: number, datagrams: ReadonlyArray<string | Buffer>, host = "127.0.0.1"): Promise<void> =>
  new Promise((resolve, reject) => {
    const socket = createSocket(host.includes(":") ? "udp6" : "udp4")
    let pending = datagrams.length
    if (pending === 0) return socket.close(() => resolve())
    for (const datagram of datagrams)
      socket.send(datagram, port, host, (error) => {
        if (error) reject(error)
        if (--pending === 0) socket.close(() => resolve())
      })
  })

export interface HttpAnswer {
  readonly status: number
  readonly body: string
  readonly headers: Record<string, string | Array<string> | undefined>
}

export interface HttpCall {
  readonly port: number
  readonly method?: string
  readonly path?: string
  readonly headers?: OutgoingHttpHeaders
  readonly body?: string | Buffer
  /** Given: HTTPS with these options. */
  readonly tls?: ConnectionOptions
}

/** One HTTP(S) request on a fresh connection. */
export const httpCall = (call: HttpCall): Promise<HttpAnswer> =>
  new Promise((resolve, reject) => {
    const options = {
      host: "127.0.0.1",
      port: call.port,
      method: call.method ?? "POST",
      path: call.path ?? "/input",
      headers: call.headers ?? {},
      agent: false as const
    }
    const onResponse = (response: import("node:http").IncomingMessage) => {
      const chunks: Array<Buffer> = []
      response.on("data", (chunk: Buffer) => chunks.push(chunk))
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8"), headers: response.headers }))
    }
    const request = call.tls === undefined ? httpRequest(options, onResponse) : httpsRequest({ ...options, ...call.tls }, onResponse)
    request.on("error", reject)
    request.end(call.body)
  })
