// A connector's TLS setting cannot be used: the message says what is wrong in terms an operator
// can act on (which file, which certificate, since when), the reason lets callers branch.
import { Data } from "effect"

export type TlsConfigInvalidReason =
  /** The PKCS#12 container opens without a password. */
  | "EmptyPassword"
  /** The container needs a password and none is configured. */
  | "PasswordMissing"
  | "WrongPassword"
  | "Expired"
  | "NotYetValid"
  /** The certificate was not issued by the CA it must chain to. */
  | "ForeignCertificate"
  /** The file cannot be read (missing, permissions). */
  | "Unreadable"
  /** The container uses an encryption this OpenSSL no longer reads (RC2-40 and other legacy PKCS#12). */
  | "UnsupportedEncryption"
  /** The file is read but is not a usable container or PEM certificate. */
  | "Corrupt"
  /** The installation CA directory is not given or cannot be used. */
  | "CaStoreUnavailable"

export class TlsConfigInvalid extends Data.TaggedError("TlsConfigInvalid")<{
  readonly reason: TlsConfigInvalidReason
  readonly message: string
  readonly path?: string
  readonly cause?: unknown
}> {}
