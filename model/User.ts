// Users, their per-tenant roles and their API tokens, plus the password and token digests the
// stores keep instead of secrets (a stored row never holds a usable password or token).
import { Schema } from "effect"
import { createHash, randomBytes, scryptSync, timingSafeEqual } from "node:crypto"
import { TenantId } from "./Ids.ts"

export const Role = Schema.Literal("general-administrator", "tenant-administrator", "tier-2-analyst", "tier-1-analyst", "junior-analyst")
export type Role = typeof Role.Type

/** Identifies a user; users are global, their roles name the tenants they may see. */
export const UserId = Schema.UUID.pipe(Schema.brand("UserId"))
export type UserId = typeof UserId.Type

/** An API token, named by this id so it can be listed and revoked without its secret. */
export const TokenId = Schema.UUID.pipe(Schema.brand("TokenId"))
export type TokenId = typeof TokenId.Type

/** One role in one tenant. */
export const TenantRole = Schema.Struct({ tenantID: TenantId, role: Role })
export type TenantRole = typeof TenantRole.Type

/** A user. Times are epoch milliseconds. */
export const User = Schema.Struct({
  id: UserId,
  /** Unique among users regardless of case. */
  login: Schema.NonEmptyString,
  name: Schema.String,
  email: Schema.String,
  roles: Schema.Array(TenantRole),
  /** `scrypt$N$r$p$salt$hash` as made by `hashPassword`. */
  passwordHash: Schema.String,
  disabled: Schema.Boolean,
  createdAt: Schema.Int,
  updatedAt: Schema.Int
})
export type User = typeof User.Type

/** SHA-256 of a token, lower-case hex. */
export const TokenDigest = Schema.String.pipe(Schema.pattern(/^[0-9a-f]{64}$/))

/** An API token as stored: its digest, never its plaintext. Times are epoch milliseconds. */
export const Token = Schema.Struct({
  digest: TokenDigest,
  id: TokenId,
  userId: UserId,
  description: Schema.String,
  createdAt: Schema.Int,
  expiresAt: Schema.optionalWith(Schema.Int, { exact: true }),
  revokedAt: Schema.optionalWith(Schema.Int, { exact: true })
})
export type Token = typeof Token.Type

/** The key logins are unique by, so `Alice` and `alice` are one login. */
export const loginKey = (login: string): string => login.toLowerCase()

/** The digest a token is stored and looked up by. */
export const tokenDigest = (token: string): string => createHash("sha256").update(token, "utf8").digest("hex")

// scrypt cost: N = 2^15 takes tens of milliseconds and 32 MiB, OWASP's floor for interactive logins.
const ScryptCost = 32_768
const ScryptBlockSize = 8
const ScryptParallelism = 1
const KeyLength = 32
const SaltLength = 16
// Bounds for parameters read back from a stored hash, so a tampered row cannot make one
// verification allocate gigabytes or spin for minutes.
const MaxScryptCost = 1 << 20
const MaxScryptBlockSize = 32
const MaxScryptParallelism = 16

const scryptMemory = (cost: number, blockSize: number, parallelism: number): number => 128 * blockSize * (cost + parallelism + 2) + 1024 * 1024

/** Hashes a password with scrypt and a fresh random salt into `scrypt$N$r$p$salt$hash` (base64 salt and hash). */
export const hashPassword = (password: string): string => {
  const salt = randomBytes(SaltLength)
  const hash = scryptSync(password.normalize("NFC"), salt, KeyLength, {
    N: ScryptCost,
    r: ScryptBlockSize,
    p: ScryptParallelism,
    maxmem: scryptMemory(ScryptCost, ScryptBlockSize, ScryptParallelism)
  })
  return ["scrypt", ScryptCost, ScryptBlockSize, ScryptParallelism, salt.toString("base64"), hash.toString("base64")].join("$")
}

const positiveInt = (text: string | undefined): number | undefined => (text !== undefined && /^[1-9][0-9]{0,9}$/.test(text) ? Number(text) : undefined)

/** True when `password` is the one `encoded` was made from; false for a wrong password or a malformed hash. */
export const verifyPassword = (password: string, encoded: string): boolean => {
  const [scheme, costText, blockSizeText, parallelismText, saltText, hashText, ...rest] = encoded.split("$")
  if (scheme !== "scrypt" || rest.length > 0 || saltText === undefined || hashText === undefined) return false
  const cost = positiveInt(costText)
  const blockSize = positiveInt(blockSizeText)
  const parallelism = positiveInt(parallelismText)
  if (cost === undefined || blockSize === undefined || parallelism === undefined) return false
  // N must be a power of two above 1 for scrypt.
  if (cost < 2 || cost > MaxScryptCost || (cost & (cost - 1)) !== 0 || blockSize > MaxScryptBlockSize || parallelism > MaxScryptParallelism) return false
  const salt = Buffer.from(saltText, "base64")
  const expected = Buffer.from(hashText, "base64")
  if (salt.length === 0 || expected.length < 16 || expected.length > 64) return false
  const actual = scryptSync(password.normalize("NFC"), salt, expected.length, {
    N: cost,
    r: blockSize,
    p: parallelism,
    maxmem: scryptMemory(cost, blockSize, parallelism)
  })
  return timingSafeEqual(actual, expected)
}
