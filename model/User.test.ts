// Password and token helpers: scrypt hashes verify only the password they were made from, carry
// their own parameters and salt, refuse malformed or hostile encodings; token digests are SHA-256.
import { describe, expect, it } from "@effect/vitest"
import { createHash, scryptSync } from "node:crypto"
import { hashPassword, loginKey, tokenDigest, verifyPassword } from "./User.ts"

describe("hashPassword / verifyPassword", () => {
  it("encodes scheme, cost parameters, a 16-byte salt and the hash, and verifies the same password", () => {
    const encoded = hashPassword("correct horse battery staple")
    const [scheme, cost, blockSize, parallelism, salt, hash, ...rest] = encoded.split("$")
    expect([scheme, cost, blockSize, parallelism, rest.length]).toEqual(["scrypt", "32768", "8", "1", 0])
    expect(Buffer.from(salt!, "base64").length).toBe(16)
    expect(Buffer.from(hash!, "base64").length).toBe(32)
    expect(verifyPassword("correct horse battery staple", encoded)).toBe(true)
  })

  it("refuses a wrong password, one differing only in case, and the empty password", () => {
    const encoded = hashPassword("Secret-1")
    expect(verifyPassword("Secret-2", encoded)).toBe(false)
    expect(verifyPassword("secret-1", encoded)).toBe(false)
    expect(verifyPassword("", encoded)).toBe(false)
  })

  it("salts every hash afresh, so equal passwords give different strings that both verify", () => {
    const first = hashPassword("same")
    const second = hashPassword("same")
    expect(first).not.toBe(second)
    expect(verifyPassword("same", first)).toBe(true)
    expect(verifyPassword("same", second)).toBe(true)
  })

  it("verifies a hash made with other parameters, read from the encoding", () => {
    const salt = Buffer.from("0123456789abcdef")
    const hash = scryptSync("legacy", salt, 64, { N: 1024, r: 4, p: 2 })
    const encoded = `scrypt$1024$4$2$${salt.toString("base64")}$${hash.toString("base64")}`
    expect(verifyPassword("legacy", encoded)).toBe(true)
    expect(verifyPassword("legacy!", encoded)).toBe(false)
  })

  it("answers false, without throwing, for malformed or hostile encodings", () => {
    const [, , , , salt, hash] = hashPassword("pw").split("$")
    const malformed = [
      "",
      "pw",
      `bcrypt$32768$8$1$${salt}$${hash}`,
      `scrypt$32768$8$1$${salt}`,
      `scrypt$32768$8$1$${salt}$${hash}$extra`,
      `scrypt$abc$8$1$${salt}$${hash}`,
      `scrypt$0$8$1$${salt}$${hash}`,
      `scrypt$1000$8$1$${salt}$${hash}`, // not a power of two
      `scrypt$${2 ** 24}$8$1$${salt}$${hash}`, // would need gigabytes
      `scrypt$32768$8$1$$${hash}`,
      `scrypt$32768$8$1$${salt}$`,
      `scrypt$32768$8$1$${salt}$AAAA` // a 3-byte hash
    ]
    for (const encoded of malformed) expect(verifyPassword("pw", encoded), encoded).toBe(false)
  })
})

describe("tokenDigest", () => {
  it("is the lower-case hex SHA-256 of the token (FIPS 180-2 vector for 'abc')", () => {
    expect(tokenDigest("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    const token = "c0rvus-Token_\u00e9"
    expect(tokenDigest(token)).toBe(createHash("sha256").update(Buffer.from(token, "utf8")).digest("hex"))
    expect(tokenDigest(token)).not.toBe(tokenDigest(token.toUpperCase()))
  })
})

describe("loginKey", () => {
  it("folds case, so logins differing only in case share one key", () => {
    expect(loginKey("Alice.Admin")).toBe(loginKey("alice.admin"))
    expect(loginKey("ALICE")).toBe("alice")
    expect(loginKey("bob")).not.toBe(loginKey("alice"))
  })
})
