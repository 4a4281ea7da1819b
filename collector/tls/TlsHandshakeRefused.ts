// A client's TLS handshake failed or was refused (no client certificate, a foreign or expired one,
// plain TCP on a TLS port). Reported to the collector as a connection error with a plain message.
import type { Socket } from "node:net"
import type { Server, TLSSocket } from "node:tls"
import { Data } from "effect"

export type TlsHandshakeRefusedReason =
  | "NoClientCertificate"
  | "ForeignClientCertificate"
  | "ClientCertificateExpired"
  | "ClientCertificateNotYetValid"
  | "ClientCertificateRejected"
  | "ServerNotTrusted"
  | "NotTls"
  | "HandshakeAborted"
  | "HandshakeFailed"

/** OpenSSL verification codes meaning "this CA did not issue it". */
const ForeignCodes = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_SIGNATURE_FAILURE"
])

const classify = (code: string | undefined, authorizationError: string | undefined): { reason: TlsHandshakeRefusedReason; text: string } => {
  if (authorizationError !== undefined) {
    if (ForeignCodes.has(authorizationError))
      return { reason: "ForeignClientCertificate", text: `client certificate is not issued by the configured CA (${authorizationError})` }
    if (authorizationError === "CERT_HAS_EXPIRED") return { reason: "ClientCertificateExpired", text: "client certificate has expired" }
    if (authorizationError === "CERT_NOT_YET_VALID") return { reason: "ClientCertificateNotYetValid", text: "client certificate is not yet valid" }
    return { reason: "ClientCertificateRejected", text: `client certificate rejected (${authorizationError})` }
  }
  switch (code) {
    case "ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE":
      return { reason: "NoClientCertificate", text: "client presented no certificate; two-way authentication requires one" }
    case "ERR_SSL_WRONG_VERSION_NUMBER":
    case "ERR_SSL_HTTP_REQUEST":
    case "ERR_SSL_PACKET_LENGTH_TOO_LONG":
      return { reason: "NotTls", text: "client did not speak TLS (plain traffic on a TLS port?)" }
    case "ERR_SSL_TLSV1_ALERT_UNKNOWN_CA":
    case "ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE":
    case "ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN":
      return { reason: "ServerNotTrusted", text: "client does not trust the collector's certificate" }
    case "ECONNRESET":
      // Node clients refuse an untrusted server by closing, without a TLS alert.
      return { reason: "HandshakeAborted", text: "client closed the connection during the TLS handshake; it may not trust the collector's certificate" }
    default:
      return { reason: "HandshakeFailed", text: "TLS handshake failed" }
  }
}

export class TlsHandshakeRefused extends Data.TaggedError("TlsHandshakeRefused")<{
  readonly reason: TlsHandshakeRefusedReason
  readonly message: string
  readonly remoteAddress: string
  readonly cause?: unknown
}> {
  /**
   * Reports every failed handshake of `server`. Node destroys a socket whose client certificate
   * failed verification before it reports the failure, so the peer address is noted when the raw
   * connection arrives and found again through the TLS socket's parent.
   */
  static watch(server: Server, report: (refused: TlsHandshakeRefused) => void, addressOf: (remoteAddress: string | undefined) => string): void {
    const addresses = new WeakMap<Socket, string>()
    server.prependListener("connection", (raw: Socket) => addresses.set(raw, addressOf(raw.remoteAddress)))
    server.on("tlsClientError", (error: Error & { code?: string }, socket: TLSSocket) => {
      const parent = (socket as { _parent?: unknown })._parent
      const remoteAddress =
        socket.remoteAddress !== undefined ? addressOf(socket.remoteAddress) : (parent !== undefined && addresses.get(parent as Socket)) || "unknown"
      // authorizationError is typed as Error but Node stores the OpenSSL code string there.
      const rawAuthorizationError = socket.authorizationError as unknown
      const authorizationError =
        typeof rawAuthorizationError === "string" ? rawAuthorizationError : rawAuthorizationError instanceof Error ? (rawAuthorizationError as { code?: string }).code : undefined
      const { reason, text } = classify(error.code, authorizationError ?? undefined)
      report(new TlsHandshakeRefused({ reason, message: `TLS connection from ${remoteAddress} refused: ${text}`, remoteAddress, cause: error }))
    })
  }
}
