// Exported resource files (SPEC §7): the resources as JSON, encrypted with the password given at
// export (scrypt-derived key, AES-256-GCM), behind a versioned header that the cipher authenticates.
import { Data, Schema } from "effect"
import { createCipheriv, createDecipheriv, randomBytes, scrypt } from "node:crypto"
import { ResourceId, ResourceKind } from "../model/Resource.ts"

/**
 * Layout, version 1 (all integers big-endian):
 * magic "CORVUSRF" (8) | version (1) | log2 N (1) | r (1) | p (1) | salt (16) | nonce (12) | ciphertext | tag (16).
 * The whole header is the cipher's additional data, so changing any byte of it fails decryption.
 */
const Magic = Buffer.from("CORVUSRF", "ascii")
const Version = 1
const SaltLength = 16
const NonceLength = 12
const TagLength = 16
const HeaderLength = Magic.length + 4 + SaltLength + NonceLength

/** The scrypt cost of new files; a file names its own, bounded on read so an upload cannot ask for unbounded work. */
export interface ArchiveCost {
  readonly log2N: number
  readonly r: number
  readonly p: number
}
export const DefaultCost: ArchiveCost = { log2N: 15, r: 8, p: 1 }
const MinLog2N = 10
const MaxLog2N = 17

/** One resource as the file carries it: without its tenant, which the import target decides. */
export const ArchivedResource = Schema.Struct({
  id: ResourceId,
  kind: ResourceKind,
  name: Schema.String,
  description: Schema.optionalWith(Schema.String, { exact: true }),
  version: Schema.Int,
  body: Schema.Unknown
})
export type ArchivedResource = typeof ArchivedResource.Type

/** What the file holds once decrypted. */
export const ArchiveContents = Schema.Struct({
  format: Schema.Literal("corvus-resources"),
  exportedAt: Schema.Int,
  resources: Schema.Array(ArchivedResource)
})
export type ArchiveContents = typeof ArchiveContents.Type

/** Why a file could not be opened; each is the client's problem, never a server fault. */
export type ArchiveProblem = "not a resource file" | "unsupported resource file version" | "wrong password or damaged file"

export class ArchiveUnreadable extends Data.TaggedError("ArchiveUnreadable")<{ readonly problem: ArchiveProblem }> {}

const deriveKey = (password: string, salt: Buffer, cost: ArchiveCost): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const N = 2 ** cost.log2N
    scrypt(password, salt, 32, { N, r: cost.r, p: cost.p, maxmem: 256 * N * cost.r + 1024 * 1024 }, (error, key) => (error === null ? resolve(key) : reject(error)))
  })

/** Encrypts `contents` with `password` into the bytes of a resource file. */
export const sealArchive = async (contents: ArchiveContents, password: string, cost: ArchiveCost = DefaultCost): Promise<Uint8Array> => {
  const salt = randomBytes(SaltLength)
  const nonce = randomBytes(NonceLength)
  const header = Buffer.concat([Magic, Buffer.from([Version, cost.log2N, cost.r, cost.p]), salt, nonce])
  const key = await deriveKey(password, salt, cost)
  const cipher = createCipheriv("aes-256-gcm", key, nonce, { authTagLength: TagLength })
  cipher.setAAD(header)
  const plaintext = Buffer.from(JSON.stringify(Schema.encodeSync(ArchiveContents)(contents)), "utf8")
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()])
  return new Uint8Array(Buffer.concat([header, ciphertext, cipher.getAuthTag()]))
}

/** Decrypts and decodes a resource file; fails with ArchiveUnreadable for anything but a good file and password. */
export const openArchive = async (bytes: Uint8Array, password: string): Promise<ArchiveContents> => {
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (data.length < HeaderLength + TagLength || !data.subarray(0, Magic.length).equals(Magic)) throw new ArchiveUnreadable({ problem: "not a resource file" })
  const version = data[Magic.length]!
  if (version !== Version) throw new ArchiveUnreadable({ problem: "unsupported resource file version" })
  const cost: ArchiveCost = { log2N: data[Magic.length + 1]!, r: data[Magic.length + 2]!, p: data[Magic.length + 3]! }
  if (cost.log2N < MinLog2N || cost.log2N > MaxLog2N || cost.r < 1 || cost.r > 16 || cost.p < 1 || cost.p > 4) throw new ArchiveUnreadable({ problem: "not a resource file" })
  const header = data.subarray(0, HeaderLength)
  const salt = header.subarray(Magic.length + 4, Magic.length + 4 + SaltLength)
  const nonce = header.subarray(Magic.length + 4 + SaltLength)
  const key = await deriveKey(password, salt, cost)
  const decipher = createDecipheriv("aes-256-gcm", key, nonce, { authTagLength: TagLength })
  decipher.setAAD(header)
  decipher.setAuthTag(data.subarray(data.length - TagLength))
  let plaintext: Buffer
  try {
    plaintext = Buffer.concat([decipher.update(data.subarray(HeaderLength, data.length - TagLength)), decipher.final()])
  } catch {
    throw new ArchiveUnreadable({ problem: "wrong password or damaged file" })
  }
  // Authenticated, so written by a Corvus exporter; a body that still does not decode is a foreign or future layout.
  let parsed: unknown
  try {
    parsed = JSON.parse(plaintext.toString("utf8"))
  } catch {
    throw new ArchiveUnreadable({ problem: "not a resource file" })
  }
  const decoded = Schema.decodeUnknownEither(ArchiveContents)(parsed)
  if (decoded._tag === "Left") throw new ArchiveUnreadable({ problem: "not a resource file" })
  return decoded.right
}
