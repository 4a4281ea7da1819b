// The nats connector: every message on the subject is one record, its source address being the
// subject it was published on. Core NATS cannot make a publisher wait, so while the collector is
// paused messages wait in a bounded buffer and the ones that do not fit are dropped and counted
// (see PausedBuffer); a queue group lets other collectors take the load meanwhile.
import { connect, type Msg } from "@nats-io/transport-node"
import { Effect } from "effect"
import { MaxRawEventBytes } from "../../model/Collector.ts"
import type { NatsConnector as NatsConnectorSpec } from "../../model/Connector.ts"
import { CollectorError } from "../CollectorError.ts"
import type { ConnectorSink, RunningConnector } from "./ConnectorSink.ts"
import { PausedBuffer } from "./PausedBuffer.ts"

/** What a paused nats connector holds before it drops. */
export const PausedBufferBytes = 16 * 1024 * 1024

/** Subscribes for the lifetime of the scope; closing it drains the subscription. */
export const listen = (spec: NatsConnectorSpec, sink: ConnectorSink) =>
  Effect.acquireRelease(
    Effect.gen(function* () {
      const servers = spec.servers.join(",")
      const connection = yield* Effect.tryPromise({
        try: () => connect({ servers: [...spec.servers], name: `corvus collector ${spec.subject}`, maxReconnectAttempts: -1, reconnectTimeWait: 250 }),
        catch: (cause) => new CollectorError({ message: `nats connector cannot connect to ${servers}`, cause })
      })
      const buffer = new PausedBuffer(PausedBufferBytes, sink, "nats")
      connection.subscribe(spec.subject, {
        ...(spec.queue === undefined ? {} : { queue: spec.queue }),
        callback: (error: Error | null, message: Msg) => {
          if (error !== null) {
            sink.connectionError(error)
            return
          }
          const data = message.data
          if (data.length === 0) return
          // The server's max_payload is normally far below this; a server configured above it must not get past the limit.
          if (data.length > MaxRawEventBytes) {
            sink.oversize(data.length)
            return
          }
          buffer.offer(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("utf8"), message.subject, data.length)
        }
      })
      void (async () => {
        for await (const status of connection.status()) {
          if (status.type === "disconnect") sink.connectionError(new CollectorError({ message: `nats connector lost ${status.server}; reconnecting` }))
          else if (status.type === "error") sink.connectionError(new CollectorError({ message: "nats connector: server error", cause: status.error }))
        }
      })()
      // The subscription is registered on the server once the flush returns: no message published after listen() is missed.
      yield* Effect.tryPromise({
        try: () => connection.flush(),
        catch: (cause) => new CollectorError({ message: `nats connector cannot subscribe to ${spec.subject} on ${servers}`, cause })
      })
      const running: RunningConnector = { port: 0, pause: () => buffer.pause(), resume: () => buffer.resume() }
      return { running, connection }
    }),
    ({ connection }) => Effect.promise(() => connection.drain().catch(() => connection.close()))
  ).pipe(Effect.map(({ running }) => running))
