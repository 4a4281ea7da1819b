// What a connector hands its records to, and what a running connector offers back: its port
// and flow control. The sink runs on the hot path: plain calls, no Effect per record.
import type { InstallationTls } from "../tls/ServerTls.ts"

export interface ConnectorSink {
  /** One raw record and the address it came from (IP of the peer; the subject for NATS). */
  readonly record: (text: string, sourceAddress: string) => void
  /** A record longer than the limit was dropped. */
  readonly oversize: (bytes: number) => void
  /** A connection failed, a TLS handshake was refused, or framing was lost; the connector goes on. */
  readonly connectionError: (cause: Error) => void
  /**
   * Records were dropped because the collector was paused and the connector cannot hold more
   * (UDP, NATS). Without it the drops are reported through `connectionError`.
   */
  readonly dropped?: (records: number, reason: string) => void
}

export interface RunningConnector {
  /** The bound port (0 for NATS, which listens on nothing). */
  readonly port: number
  /** Stop taking input: stream sockets stop reading, HTTP answers 503, UDP and NATS buffer boundedly. */
  readonly pause: () => void
  readonly resume: () => void
}

/** Options every connector takes: where the installation CA lives, for the TLS modes that use it. */
export interface ConnectorOptions {
  readonly tls?: InstallationTls
}
