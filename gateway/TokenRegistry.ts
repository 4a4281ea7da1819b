// Bearer tokens and the principals they stand for. Tokens are kept only as SHA-256 digests,
// so a memory dump or a log line never shows a usable token.
import { createHash } from "node:crypto"
import type { Principal } from "./Principal.ts"

const digest = (token: string): string => createHash("sha256").update(token).digest("hex")

export class TokenRegistry {
  private readonly byDigest = new Map<string, Principal>()

  /** Registers a token for a principal. */
  add(token: string, principal: Principal): void {
    this.byDigest.set(digest(token), principal)
  }

  /** The principal of a token, if any. */
  lookup(token: string): Principal | undefined {
    return this.byDigest.get(digest(token))
  }
}
