// Console sign-in and sign-out (issue 7): `POST /api/v1/login` trades a login and password for a
// session token saved like an API token, `POST /api/v1/logout` revokes the token it is called
// with. Registered outside the bearer hook; repeated failures are slowed by SignInThrottle.
import { Clock, Effect, Option } from "effect"
import type { FastifyPluginAsync } from "fastify"
import { randomBytes, randomUUID } from "node:crypto"
import { hashPassword, loginKey, tokenDigest, TokenId, verifyPassword } from "../../model/User.ts"
import { UserStore } from "../../storage/UserStore.ts"
import { runOrFail, type ApiContext } from "../ApiContext.ts"
import { ApiError, ErrorBody } from "../ApiError.ts"
import { recordAudit } from "../AuditTrail.ts"
import { bearerToken } from "../Auth.ts"
import { SignInThrottle } from "../SignInThrottle.ts"

/** How long a console session token is valid. */
export const SessionLifetimeMillis = 12 * 60 * 60_000
export const SessionTokenDescription = "console session"

const LoginBody = {
  type: "object",
  properties: {
    login: { type: "string", minLength: 1, maxLength: 256 },
    password: { type: "string", maxLength: 1024 }
  },
  required: ["login", "password"],
  additionalProperties: false
} as const

interface LoginBody {
  login: string
  password: string
}

const SessionBody = {
  type: "object",
  properties: { token: { type: "string" }, expiresAt: { type: "string", format: "date-time" } },
  required: ["token", "expiresAt"]
} as const

// One answer for an unknown login, a wrong password and a disabled user, so none can be told apart.
const SignInRefused = () => new ApiError(401, "invalid login or password", "")

// Verifying against this when the login is unknown spends the same scrypt time as a real check.
let decoyHash: string | undefined
const decoy = (): string => (decoyHash ??= hashPassword(randomUUID()))

/** A new token's plaintext: 256 random bits, URL-safe, shown once and stored only as its digest. */
export const newTokenSecret = (): string => randomBytes(32).toString("base64url")

// API and console servers of one node share a context: one throttle per context, so the two
// ports do not each grant the full allowance.
const throttles = new WeakMap<ApiContext, SignInThrottle>()
const throttleOf = (context: ApiContext): SignInThrottle => {
  let throttle = throttles.get(context)
  if (throttle === undefined) {
    throttle = new SignInThrottle()
    throttles.set(context, throttle)
  }
  return throttle
}

type SignInOutcome = { readonly kind: "signed-in"; readonly token: string; readonly expiresAt: number } | { readonly kind: "refused" }

/** Checks the credentials and, when they hold, saves a session token; either way the attempt is audited. */
const signIn = (body: LoginBody, clientAddress: string) =>
  Effect.gen(function* () {
    const store = yield* UserStore
    const now = yield* Clock.currentTimeMillis
    const found = yield* store.getUserByLogin(body.login)
    const hash = Option.match(found, { onNone: decoy, onSome: (user) => user.passwordHash })
    const passwordHolds = verifyPassword(body.password, hash)
    if (Option.isNone(found) || !passwordHolds || found.value.disabled) {
      const reason = Option.isNone(found) ? "unknown login" : !passwordHolds ? "wrong password" : "user disabled"
      yield* recordAudit({
        action: "user login failure",
        message: `sign-in refused for login ${body.login}`,
        actor: body.login,
        details: { login: body.login, reason, clientAddress }
      })
      return { kind: "refused" } as SignInOutcome
    }
    const user = found.value
    const token = newTokenSecret()
    const expiresAt = now + SessionLifetimeMillis
    const tokenId = TokenId.make(randomUUID())
    yield* store.saveToken({ digest: tokenDigest(token), id: tokenId, userId: user.id, description: SessionTokenDescription, createdAt: now, expiresAt })
    yield* recordAudit({
      action: "user login success",
      message: `user ${user.login} signed in`,
      actor: user.login,
      details: { userID: user.id, tokenID: tokenId, clientAddress }
    })
    return { kind: "signed-in", token, expiresAt } as SignInOutcome
  })

/** Revokes the token presented; none when it is unknown, revoked or expired, or its user disabled. */
const signOut = (token: string) =>
  Effect.gen(function* () {
    const store = yield* UserStore
    const now = yield* Clock.currentTimeMillis
    const found = yield* store.tokenByDigest(tokenDigest(token))
    if (Option.isNone(found)) return false
    const stored = found.value
    if (stored.revokedAt !== undefined || (stored.expiresAt !== undefined && stored.expiresAt <= now)) return false
    const user = yield* store.getUser(stored.userId)
    if (Option.isNone(user) || user.value.disabled) return false
    yield* store.revokeToken(stored.userId, stored.id, now)
    yield* recordAudit({
      action: "user logout",
      message: `user ${user.value.login} signed out`,
      actor: user.value.login,
      details: { userID: stored.userId, tokenID: stored.id }
    })
    return true
  })

/** The session routes; `throttle` is the node's own unless a test passes one with its clock. */
export const sessionRoutes =
  (context: ApiContext, throttle: SignInThrottle = throttleOf(context)): FastifyPluginAsync =>
  async (app) => {
    app.post<{ Body: LoginBody }>(
      "/login",
      { schema: { security: [], body: LoginBody, response: { 200: SessionBody, "4xx": ErrorBody, "5xx": ErrorBody } } },
      async (request, reply) => {
        const body = request.body
        // Both keys count: one login tried from many addresses, and many logins tried from one.
        const keys = [`login:${loginKey(body.login)}`, `address:${request.ip}`]
        const verdict = throttle.check(keys)
        if (!verdict.allowed) {
          // Refused attempts are neither verified nor audited: under attack they would flood the trail.
          const seconds = Math.max(1, Math.ceil(verdict.retryAfterMillis / 1000))
          return reply.status(429).header("retry-after", String(seconds)).send({ message: "too many failed sign-in attempts", details: `retry after ${seconds} s` })
        }
        const outcome = await runOrFail(context, signIn(body, request.ip))
        if (outcome.kind === "refused") {
          throttle.recordFailure(keys)
          throw SignInRefused()
        }
        // A success clears both counts; the login's own count still bounds guesses at any one account.
        throttle.recordSuccess(keys)
        return { token: outcome.token, expiresAt: new Date(outcome.expiresAt).toISOString() }
      }
    )

    app.post(
      "/logout",
      { schema: { response: { 204: { type: "null" }, "4xx": ErrorBody, "5xx": ErrorBody } } },
      async (request, reply) => {
        const token = bearerToken(request)
        const revoked = await runOrFail(context, signOut(token))
        if (!revoked) throw new ApiError(403, "invalid token", "")
        return reply.status(204).send()
      }
    )
  }
