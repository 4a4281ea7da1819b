// The installation's Corvus CA and this node's server certificate, kept in one directory: created
// at first use, keys readable by the owner only, and shared safely by processes starting together.
import { X509Certificate, createPrivateKey, randomBytes } from "node:crypto"
import { chmodSync, linkSync, mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs"
import { isIP } from "node:net"
import { join } from "node:path"
import { createCertificateAuthority, issueCertificate, type PemPair } from "./CertificateAuthority.ts"
import { TlsConfigInvalid } from "./TlsConfigInvalid.ts"

/** The CA bundle (certificate + key, 0600); `ca.crt` is its public copy for agents. */
export const CaBundleFile = "ca.key"
export const CaCertificateFile = "ca.crt"
/** The node's server identity bundle (certificate + key, 0600) and its public copy. */
export const NodeBundleFile = "node.key"
export const NodeCertificateFile = "node.crt"

const CaCommonName = "Corvus installation CA"
const DefaultNodeAltNames = ["127.0.0.1", "::1", "localhost"]
/** A cached node certificate this close to expiry is replaced rather than served. */
const RenewBeforeMs = 30 * 24 * 60 * 60 * 1000

const CertificateBlock = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/
const KeyBlock = /-----BEGIN (?:RSA )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA )?PRIVATE KEY-----/

const storeError = (message: string, path: string, cause?: unknown) =>
  new TlsConfigInvalid({ reason: "CaStoreUnavailable", message, path, ...(cause === undefined ? {} : { cause }) })

const isCode = (cause: unknown, code: string): boolean => typeof cause === "object" && cause !== null && "code" in cause && cause.code === code

const bundleText = (pair: PemPair): string => `${pair.certPem.trim()}\n${pair.keyPem.trim()}\n`

/** Reads a bundle; undefined when it does not exist. A bundle that does not parse is an error, never silently replaced. */
const readBundle = (path: string): PemPair | undefined => {
  let text: string
  try {
    text = readFileSync(path, "utf8")
  } catch (cause) {
    if (isCode(cause, "ENOENT")) return undefined
    throw storeError(`cannot read ${path}`, path, cause)
  }
  const certPem = CertificateBlock.exec(text)?.[0]
  const keyPem = KeyBlock.exec(text)?.[0]
  if (certPem === undefined || keyPem === undefined)
    throw new TlsConfigInvalid({ reason: "Corrupt", message: `${path} does not hold a PEM certificate and private key`, path })
  try {
    if (!new X509Certificate(certPem).checkPrivateKey(createPrivateKey(keyPem))) throw new Error("the key does not belong to the certificate")
  } catch (cause) {
    throw new TlsConfigInvalid({ reason: "Corrupt", message: `${path} holds an unusable certificate or key`, path, cause })
  }
  // Keys stay private to the owner even if someone loosened the file's mode.
  if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600)
  return { certPem: `${certPem}\n`, keyPem: `${keyPem}\n` }
}

const temporaryPath = (path: string): string => `${path}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`

/**
 * Publishes `text` at `path` only if nothing is there yet (link fails on an existing name), so two
 * processes creating the CA at once both end up with the same one. Returns false if another won.
 */
const publishOnce = (path: string, text: string, mode: number): boolean => {
  const temporary = temporaryPath(path)
  writeFileSync(temporary, text, { mode })
  try {
    linkSync(temporary, path)
    return true
  } catch (cause) {
    if (isCode(cause, "EEXIST")) return false
    throw cause
  } finally {
    unlinkSync(temporary)
  }
}

/** Writes `text` at `path`, replacing what was there in one step. */
const replace = (path: string, text: string, mode: number): void => {
  const temporary = temporaryPath(path)
  writeFileSync(temporary, text, { mode })
  renameSync(temporary, path)
}

const ensureDirectory = (dir: string): void => {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
  } catch (cause) {
    throw storeError(`cannot create the CA directory ${dir}`, dir, cause)
  }
}

/** Writes the public copy of a bundle's certificate when it differs. */
const writePublicCopy = (path: string, certPem: string): void => {
  let current: string | undefined
  try {
    current = readFileSync(path, "utf8")
  } catch {
    current = undefined
  }
  if (current !== certPem) replace(path, certPem, 0o644)
}

/**
 * The installation CA in `dir`, created there (key file mode 0600) at first use. Throws
 * TlsConfigInvalid when the directory cannot be used or holds a corrupt CA.
 */
export const loadOrCreate = (dir: string): PemPair => {
  ensureDirectory(dir)
  const bundlePath = join(dir, CaBundleFile)
  try {
    let ca = readBundle(bundlePath)
    if (ca === undefined) {
      const created = createCertificateAuthority({ commonName: CaCommonName })
      ca = publishOnce(bundlePath, bundleText(created), 0o600) ? created : readBundle(bundlePath)
      if (ca === undefined) throw storeError(`${bundlePath} vanished while it was being created`, bundlePath)
    }
    writePublicCopy(join(dir, CaCertificateFile), ca.certPem)
    return ca
  } catch (cause) {
    if (cause instanceof TlsConfigInvalid) throw cause
    throw storeError(`cannot use the CA directory ${dir}`, dir, cause)
  }
}

/** True when the cached certificate is issued by `ca`, names every alt name, is valid now and not about to expire. */
const isUsable = (identity: PemPair, ca: PemPair, altNames: ReadonlyArray<string>, now: Date): boolean => {
  const certificate = new X509Certificate(identity.certPem)
  const authority = new X509Certificate(ca.certPem)
  return (
    altNames.every((name) => (isIP(name) === 0 ? certificate.checkHost(name) : certificate.checkIP(name)) !== undefined) &&
    certificate.checkIssued(authority) &&
    certificate.verify(authority.publicKey) &&
    new Date(certificate.validFrom).getTime() <= now.getTime() &&
    new Date(certificate.validTo).getTime() - RenewBeforeMs > now.getTime()
  )
}

/** A corrupt cached node certificate is only a cache: it is reissued rather than reported. */
const readCachedIdentity = (path: string): PemPair | undefined => {
  try {
    return readBundle(path)
  } catch (cause) {
    if (cause instanceof TlsConfigInvalid && cause.reason === "Corrupt") return undefined
    throw cause
  }
}

/**
 * This node's server certificate issued by the installation CA in `dir` (SANs 127.0.0.1, ::1 and
 * localhost unless `altNames` is given), cached there and reissued when missing, expiring or
 * issued by a CA that has since been replaced.
 */
export const nodeIdentity = (dir: string, options: { readonly altNames?: ReadonlyArray<string>; readonly now?: Date } = {}): PemPair => {
  const ca = loadOrCreate(dir)
  const bundlePath = join(dir, NodeBundleFile)
  const altNames = options.altNames ?? DefaultNodeAltNames
  try {
    const cached = readCachedIdentity(bundlePath)
    if (cached !== undefined && isUsable(cached, ca, altNames, options.now ?? new Date())) {
      writePublicCopy(join(dir, NodeCertificateFile), cached.certPem)
      return cached
    }
    const issued = issueCertificate(ca, { commonName: "Corvus collector", altNames })
    replace(bundlePath, bundleText(issued), 0o600)
    writePublicCopy(join(dir, NodeCertificateFile), issued.certPem)
    return issued
  } catch (cause) {
    if (cause instanceof TlsConfigInvalid) throw cause
    throw storeError(`cannot use the CA directory ${dir}`, dir, cause)
  }
}
