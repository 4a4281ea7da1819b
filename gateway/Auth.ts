// Bearer authentication for /api/v1: 400 for a missing or malformed Authorization header,
// 403 for a token we do not know (SPEC §7). Tokens are looked up by digest in the user store on
// every request, so a revocation holds at once on every node.
import { Effect, Option } from "effect"
import type { FastifyRequest } from "fastify"
import { tokenDigest } from "../model/User.ts"
import { UserStore } from "../storage/UserStore.ts"
import { runOrFail, type ApiContext } from "./ApiContext.ts"
import { ApiError } from "./ApiError.ts"
import { principalOfUser, type Principal } from "./Principal.ts"

declare module "fastify" {
  interface FastifyRequest {
    principal?: Principal
  }
}

const BearerHeader = /^Bearer ([A-Za-z0-9._~+/=-]{1,512})$/

/** The principal a token stands for now: none when unknown, revoked, expired, or its user disabled. */
export const principalOfToken = (token: string, tenants: ApiContext["tenants"], now: number) =>
  Effect.gen(function* () {
    const store = yield* UserStore
    const found = yield* store.tokenByDigest(tokenDigest(token))
    if (Option.isNone(found)) return Option.none<Principal>()
    const stored = found.value
    if (stored.revokedAt !== undefined || (stored.expiresAt !== undefined && stored.expiresAt <= now)) return Option.none<Principal>()
    const user = yield* store.getUser(stored.userId)
    if (Option.isNone(user) || user.value.disabled) return Option.none<Principal>()
    return Option.some(principalOfUser(user.value, tenants.map((tenant) => tenant.id)))
  })

/** The bearer token of a request, or the KUMA status for a missing or malformed header. */
export const bearerToken = (request: FastifyRequest): string => {
  const header = request.headers.authorization
  if (header === undefined) throw new ApiError(400, "missing Authorization header", "expected 'Authorization: Bearer <token>'")
  const match = BearerHeader.exec(header)
  if (match === null) throw new ApiError(400, "malformed Authorization header", "expected 'Authorization: Bearer <token>'")
  return match[1]!
}

/** Resolves the caller of a request or fails with the KUMA status. */
export const authenticate = async (context: ApiContext, request: FastifyRequest): Promise<Principal> => {
  const token = bearerToken(request)
  const principal = await runOrFail(context, principalOfToken(token, context.tenants, Date.now()))
  if (Option.isNone(principal)) throw new ApiError(403, "invalid token", "")
  return principal.value
}

/** The authenticated caller; routes run only after the auth hook set it. */
export const principalOf = (request: FastifyRequest): Principal => {
  if (request.principal === undefined) throw new ApiError(403, "invalid token", "")
  return request.principal
}
