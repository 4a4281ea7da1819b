// Opens a PKCS#12 identity the way Node's TLS will load it, and turns every way it can be
// unusable into one TlsConfigInvalid with a message an operator can act on.
import { X509Certificate } from "node:crypto"
import { createSecureContext, type SecureContext } from "node:tls"
import { Effect } from "effect"
import forge from "node-forge"
import { TlsConfigInvalid } from "./TlsConfigInvalid.ts"

/** A container that Node's TLS accepts, with the certificate it will present. */
export interface Pkcs12Identity {
  readonly pfx: Buffer
  readonly passphrase: string
  readonly certificate: X509Certificate
}

/** What OpenSSL says when the MAC does not verify, i.e. the password is wrong. */
const isWrongPassword = (cause: unknown): boolean => cause instanceof Error && /mac verify failure/i.test(cause.message)

/** What OpenSSL 3 says about a legacy container once the MAC (and so the password) checked out. */
const isUnsupported = (cause: unknown): boolean => cause instanceof Error && /unsupported/i.test(cause.message)

const tryContext = (pfx: Buffer, passphrase: string | undefined): { readonly context: SecureContext } | { readonly error: unknown } => {
  try {
    return { context: createSecureContext(passphrase === undefined ? { pfx } : { pfx, passphrase }) }
  } catch (error) {
    return { error }
  }
}

/**
 * The certificate OpenSSL loaded as the identity. Node exposes it on the native context; forge
 * is the fallback should that (undocumented) accessor go away.
 */
const loadedCertificate = (context: SecureContext, pfx: Buffer, passphrase: string): X509Certificate => {
  const native = (context as { context?: { getCertificate?: () => Buffer | null } }).context
  const der = typeof native?.getCertificate === "function" ? native.getCertificate() : null
  if (der !== null && der !== undefined) return new X509Certificate(der)
  const container = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(pfx.toString("binary")), passphrase)
  const keyBagType = forge.pki.oids["pkcs8ShroudedKeyBag"] ?? ""
  const certBagType = forge.pki.oids["certBag"] ?? ""
  const key = container.getBags({ bagType: keyBagType })[keyBagType]?.[0]?.key as forge.pki.rsa.PrivateKey | undefined
  const certificates: Array<forge.pki.Certificate> = (container.getBags({ bagType: certBagType })[certBagType] ?? []).flatMap((bag) =>
    bag.cert === undefined ? [] : [bag.cert]
  )
  const leaf =
    certificates.find((certificate) => key !== undefined && (certificate.publicKey as forge.pki.rsa.PublicKey).n.equals(key.n)) ?? certificates[0]
  if (leaf === undefined) throw new Error("the container holds no certificate")
  return new X509Certificate(forge.pki.certificateToPem(leaf))
}

/** Refuses a certificate outside its validity period, saying since or until when. */
export const checkValidity = (certificate: X509Certificate, what: string, now: Date, path?: string): Effect.Effect<void, TlsConfigInvalid> => {
  const validFrom = new Date(certificate.validFrom)
  const validTo = new Date(certificate.validTo)
  const where = path === undefined ? {} : { path }
  if (validTo.getTime() < now.getTime())
    return Effect.fail(
      new TlsConfigInvalid({ reason: "Expired", message: `${what} (${certificate.subject.replace(/\n/g, ", ")}) expired on ${validTo.toISOString()}`, ...where })
    )
  if (validFrom.getTime() > now.getTime())
    return Effect.fail(
      new TlsConfigInvalid({
        reason: "NotYetValid",
        message: `${what} (${certificate.subject.replace(/\n/g, ", ")}) is not valid before ${validFrom.toISOString()}`,
        ...where
      })
    )
  return Effect.void
}

/**
 * Opens `pfx` with `password`. Refused: a container that opens without a password, no password
 * configured, a wrong password, a legacy encryption, a corrupt file, a certificate outside its
 * validity period.
 */
export const open = (pfx: Buffer, password: string, options: { readonly path: string; readonly now?: Date }): Effect.Effect<Pkcs12Identity, TlsConfigInvalid> =>
  Effect.gen(function* () {
    const path = options.path
    if (pfx.length === 0) return yield* new TlsConfigInvalid({ reason: "Corrupt", message: `the PKCS#12 file ${path} is empty`, path })
    // OpenSSL treats an absent and an empty password alike; either one opening the container means it is unprotected.
    const unprotected = [undefined, ""].some((candidate) => "context" in tryContext(pfx, candidate))
    if (unprotected)
      return yield* new TlsConfigInvalid({
        reason: "EmptyPassword",
        message: `the PKCS#12 container ${path} has no password; Corvus requires a password-protected container`,
        path
      })
    const attempt = tryContext(pfx, password)
    if ("error" in attempt) {
      if (isUnsupported(attempt.error))
        return yield* new TlsConfigInvalid({
          reason: "UnsupportedEncryption",
          message: `the PKCS#12 container ${path} uses a legacy encryption (such as RC2-40) that OpenSSL 3 no longer reads; export it again with AES-256 (openssl pkcs12 -export without -legacy)`,
          path,
          cause: attempt.error
        })
      if (!isWrongPassword(attempt.error))
        return yield* new TlsConfigInvalid({
          reason: "Corrupt",
          message: `the file ${path} is not a readable PKCS#12 container (${attempt.error instanceof Error ? attempt.error.message : String(attempt.error)})`,
          path,
          cause: attempt.error
        })
      if (password === "")
        return yield* new TlsConfigInvalid({
          reason: "PasswordMissing",
          message: `the PKCS#12 container ${path} is password-protected but no password is configured`,
          path
        })
      return yield* new TlsConfigInvalid({ reason: "WrongPassword", message: `wrong password for the PKCS#12 container ${path}`, path })
    }
    const certificate = yield* Effect.try({
      try: () => loadedCertificate(attempt.context, pfx, password),
      catch: (cause) =>
        new TlsConfigInvalid({ reason: "Corrupt", message: `cannot read the certificate in the PKCS#12 container ${path}`, path, cause })
    })
    yield* checkValidity(certificate, `the certificate in ${path}`, options.now ?? new Date(), path)
    return { pfx, passphrase: password, certificate }
  })
