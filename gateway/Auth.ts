// Bearer authentication for /api/v1: 400 for a missing or malformed Authorization header,
// 403 for a token we do not know (SPEC §7).
import type { FastifyRequest } from "fastify"
import { ApiError } from "./ApiError.ts"
import type { Principal } from "./Principal.ts"
import type { TokenRegistry } from "./TokenRegistry.ts"

declare module "fastify" {
  interface FastifyRequest {
    principal?: Principal
  }
}

const BearerHeader = /^Bearer ([A-Za-z0-9._~+/=-]{1,512})$/

/** Resolves the caller of a request or fails with the KUMA status. */
export const authenticate = (tokens: TokenRegistry, request: FastifyRequest): Principal => {
  const header = request.headers.authorization
  if (header === undefined) throw new ApiError(400, "missing Authorization header", "expected 'Authorization: Bearer <token>'")
  const match = BearerHeader.exec(header)
  if (match === null) throw new ApiError(400, "malformed Authorization header", "expected 'Authorization: Bearer <token>'")
  const principal = tokens.lookup(match[1]!)
  if (principal === undefined) throw new ApiError(403, "invalid token", "")
  return principal
}

/** The authenticated caller; routes run only after the auth hook set it. */
export const principalOf = (request: FastifyRequest): Principal => {
  if (request.principal === undefined) throw new ApiError(403, "invalid token", "")
  return request.principal
}
