// The installation's certificate authority: creates a CA, issues server and client certificates
// signed by it and packs identities into PKCS#12. Node has no X.509 writer, so forge writes the
// certificates; Node generates the RSA keys (forge's pure-JS prime search takes seconds per key).
import { generateKeyPairSync, randomBytes } from "node:crypto"
import { isIP } from "node:net"
import forge from "node-forge"

/** A certificate and its private key, both PEM. */
export interface PemPair {
  readonly certPem: string
  readonly keyPem: string
}

const KeyBits = 2048
const DayMs = 24 * 60 * 60 * 1000
/** Certificates start a little in the past so a peer whose clock lags still accepts them. */
const BackdateMs = 5 * 60 * 1000
const DefaultCaValidDays = 3650
const DefaultLeafValidDays = 397

interface KeyPair {
  readonly keyPem: string
  readonly privateKey: forge.pki.rsa.PrivateKey
  readonly publicKey: forge.pki.rsa.PublicKey
}

const generateKeyPair = (): KeyPair => {
  const { privateKey } = generateKeyPairSync("rsa", {
    modulusLength: KeyBits,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" }
  })
  const forgeKey = forge.pki.privateKeyFromPem(privateKey)
  return { keyPem: privateKey, privateKey: forgeKey, publicKey: forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e) }
}

/** A random positive serial: DER integers are signed, so the top bit stays clear. */
const serialNumber = (): string => {
  const bytes = randomBytes(16)
  bytes[0] = bytes[0]! & 0x7f | 0x01
  return bytes.toString("hex")
}

const subjectOf = (commonName: string): Array<forge.pki.CertificateField> => [
  { name: "commonName", value: commonName },
  { name: "organizationName", value: "Corvus" }
]

const sign = (certificate: forge.pki.Certificate, key: forge.pki.rsa.PrivateKey): string => {
  certificate.sign(key, forge.md.sha256.create())
  // forge writes CRLF line ends; Node and OpenSSL write LF, and PEMs compare equal only in one form.
  return forge.pki.certificateToPem(certificate).replace(/\r\n/g, "\n")
}

/** Creates a self-signed CA that may sign server and client certificates. */
export const createCertificateAuthority = (options: { commonName: string; validDays?: number }): PemPair => {
  const keys = generateKeyPair()
  const certificate = forge.pki.createCertificate()
  const now = Date.now()
  certificate.publicKey = keys.publicKey
  certificate.serialNumber = serialNumber()
  certificate.validity.notBefore = new Date(now - BackdateMs)
  certificate.validity.notAfter = new Date(now + (options.validDays ?? DefaultCaValidDays) * DayMs)
  certificate.setSubject(subjectOf(options.commonName))
  certificate.setIssuer(subjectOf(options.commonName))
  certificate.setExtensions([
    { name: "basicConstraints", cA: true, critical: true },
    { name: "keyUsage", keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: "subjectKeyIdentifier" }
  ])
  return { certPem: sign(certificate, keys.privateKey), keyPem: keys.keyPem }
}

const subjectAltName = (altName: string): { type: number; ip?: string; value?: string } =>
  // GeneralName tags: 7 is iPAddress, 2 is dNSName.
  isIP(altName) !== 0 ? { type: 7, ip: altName } : { type: 2, value: altName }

/**
 * Issues a certificate signed by `ca`: a server certificate (serverAuth), or a client one
 * (clientAuth) when `client` is set. IP addresses in `altNames` become IP SANs, the rest DNS SANs.
 */
export const issueCertificate = (
  ca: PemPair,
  options: { commonName: string; altNames?: ReadonlyArray<string>; client?: boolean; notBefore?: Date; notAfter?: Date }
): PemPair => {
  const caCertificate = forge.pki.certificateFromPem(ca.certPem)
  const caKey = forge.pki.privateKeyFromPem(ca.keyPem)
  const keys = generateKeyPair()
  const certificate = forge.pki.createCertificate()
  const now = Date.now()
  certificate.publicKey = keys.publicKey
  certificate.serialNumber = serialNumber()
  certificate.validity.notBefore = options.notBefore ?? new Date(now - BackdateMs)
  certificate.validity.notAfter = options.notAfter ?? new Date(now + DefaultLeafValidDays * DayMs)
  certificate.setSubject(subjectOf(options.commonName))
  certificate.setIssuer(caCertificate.subject.attributes)
  const client = options.client === true
  const altNames = options.altNames ?? []
  certificate.setExtensions([
    { name: "basicConstraints", cA: false, critical: true },
    { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
    { name: "extKeyUsage", serverAuth: !client, clientAuth: client },
    ...(altNames.length > 0 ? [{ name: "subjectAltName", altNames: altNames.map(subjectAltName) }] : []),
    { name: "subjectKeyIdentifier" },
    { name: "authorityKeyIdentifier", keyIdentifier: caCertificate.generateSubjectKeyIdentifier().getBytes() }
  ])
  return { certPem: sign(certificate, caKey), keyPem: keys.keyPem }
}

/**
 * Packs an identity (and optionally its CA chain) into a DER PKCS#12 container encrypted with
 * `password` (3DES, SHA-1 MAC: the combination every OpenSSL 1.x/3.x and Windows loads).
 */
export const toPkcs12 = (identity: PemPair, password: string, chain?: ReadonlyArray<string>): Buffer => {
  const key = forge.pki.privateKeyFromPem(identity.keyPem)
  const certificates = [identity.certPem, ...(chain ?? [])].map((pem) => forge.pki.certificateFromPem(pem))
  const container = forge.pkcs12.toPkcs12Asn1(key, certificates, password, { algorithm: "3des", generateLocalKeyId: true })
  return Buffer.from(forge.asn1.toDer(container).getBytes(), "binary")
}
