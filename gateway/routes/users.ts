// Users, their roles per tenant and their API tokens (SPEC §7, issue 7): whoami, listing, create,
// change, tokens. A user is seen only through a tenant the caller may read users in, and an
// unseen user answers exactly as an unknown id; nobody changes their own roles.
import { Clock, Effect, Option } from "effect"
import type { FastifyPluginAsync } from "fastify"
import { randomUUID } from "node:crypto"
import type { TenantId } from "../../model/Ids.ts"
import { MainTenantId } from "../../model/Tenant.ts"
import { hashPassword, tokenDigest, TokenId, UserId, type Role, type TenantRole, type Token, type User } from "../../model/User.ts"
import { uuidKey } from "../../storage/StoreListing.ts"
import { LoginTaken, UserStore } from "../../storage/UserStore.ts"
import { runOrFail, type ApiContext } from "../ApiContext.ts"
import { PageParameter, PageSize } from "../ListQuery.ts"
import { patternOf } from "../QueryPattern.ts"
import { ApiError, ErrorBody } from "../ApiError.ts"
import { recordAudit } from "../AuditTrail.ts"
import { bearerToken, principalOf } from "../Auth.ts"
import { mayIn, tenantsFor, type Principal } from "../Principal.ts"
import { newTokenSecret, SessionTokenDescription } from "./session.ts"

const DayMillis = 24 * 60 * 60_000

const Roles = ["general-administrator", "tenant-administrator", "tier-2-analyst", "tier-1-analyst", "junior-analyst"] as const

const RoleGrant = {
  type: "object",
  properties: { tenantID: { type: "string", pattern: "^[A-Za-z0-9_-]{1,64}$" }, role: { type: "string", enum: Roles } },
  required: ["tenantID", "role"],
  additionalProperties: false
} as const

const LoginField = { type: "string", minLength: 1, maxLength: 128, pattern: "^\\S+$" } as const
const PasswordField = { type: "string", minLength: 8, maxLength: 1024 } as const

// A pattern rather than format "uuid", which also admits a `urn:uuid:` prefix that ids never have.
const UuidField = { type: "string", pattern: "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$" } as const

const UserIdParams = {
  type: "object",
  properties: { id: UuidField },
  required: ["id"],
  additionalProperties: false
} as const

const TokenParams = {
  type: "object",
  properties: { id: UuidField, tokenId: UuidField },
  required: ["id", "tokenId"],
  additionalProperties: false
} as const

const UsersQuerystring = {
  type: "object",
  properties: {
    page: PageParameter,
    id: { type: "array", items: UuidField },
    tenantID: { type: "array", items: { type: "string" } },
    name: { type: "string", maxLength: 512 },
    login: { type: "string", maxLength: 512 }
  },
  additionalProperties: false
} as const

interface UsersQuerystring {
  page: number
  id?: Array<string>
  tenantID?: Array<string>
  name?: string
  login?: string
}

const CreateUserBody = {
  type: "object",
  properties: {
    login: LoginField,
    name: { type: "string", maxLength: 256 },
    email: { type: "string", maxLength: 256 },
    password: PasswordField,
    roles: { type: "array", items: RoleGrant, minItems: 1, maxItems: 1000 }
  },
  required: ["login", "password", "roles"],
  additionalProperties: false
} as const

interface RoleGrant {
  tenantID: string
  role: Role
}

interface CreateUserBody {
  login: string
  name?: string
  email?: string
  password: string
  roles: Array<RoleGrant>
}

const PatchUserBody = {
  type: "object",
  properties: {
    login: LoginField,
    name: { type: "string", maxLength: 256 },
    email: { type: "string", maxLength: 256 },
    password: PasswordField,
    roles: { type: "array", items: RoleGrant, maxItems: 1000 },
    disabled: { type: "boolean" }
  },
  additionalProperties: false
} as const

interface PatchUserBody {
  login?: string
  name?: string
  email?: string
  password?: string
  roles?: Array<RoleGrant>
  disabled?: boolean
}

const CreateTokenBody = {
  type: "object",
  properties: {
    description: { type: "string", maxLength: 256 },
    expiresInDays: { type: "integer", minimum: 1, maximum: 3650 }
  },
  required: ["description"],
  additionalProperties: false
} as const

interface CreateTokenBody {
  description: string
  expiresInDays?: number
}

const UserBody = {
  type: "object",
  properties: {
    id: { type: "string" },
    login: { type: "string" },
    name: { type: "string" },
    email: { type: "string" },
    disabled: { type: "boolean" },
    createdAt: { type: "string", format: "date-time" },
    updatedAt: { type: "string", format: "date-time" },
    roles: {
      type: "array",
      items: {
        type: "object",
        properties: { tenantID: { type: "string" }, tenantName: { type: "string" }, role: { type: "string", enum: Roles } },
        required: ["tenantID", "tenantName", "role"]
      }
    }
  },
  required: ["id", "login", "name", "email", "disabled", "createdAt", "updatedAt", "roles"]
} as const

const WhoamiBody = {
  type: "object",
  properties: {
    id: { type: "string" },
    name: { type: "string" },
    login: { type: "string" },
    email: { type: "string" },
    tenants: {
      type: "array",
      items: {
        type: "object",
        properties: { id: { type: "string" }, name: { type: "string" }, role: { type: "string", enum: Roles } },
        required: ["id", "name", "role"]
      }
    }
  },
  required: ["id", "name", "login", "email", "tenants"]
} as const

const TokenBody = {
  type: "object",
  properties: {
    id: { type: "string" },
    description: { type: "string" },
    createdAt: { type: "string", format: "date-time" },
    expiresAt: { type: "string", format: "date-time" },
    revokedAt: { type: "string", format: "date-time" }
  },
  required: ["id", "description", "createdAt"]
} as const

const CreatedTokenBody = {
  type: "object",
  properties: { id: { type: "string" }, token: { type: "string" } },
  required: ["id", "token"]
} as const

const Errors = { "4xx": ErrorBody, "5xx": ErrorBody } as const

const rfc3339 = (millis: number) => new Date(millis).toISOString()

// One answer for an unknown id and a user the caller may not see.
const UserNotFound = () => new ApiError(404, "user not found", "")


/** Whether the principal holds general administration (its role in the main tenant). */
const isGeneralAdministrator = (principal: Principal): boolean => principal.roles.get(MainTenantId) === "general-administrator"

const holdsGeneralAdministration = (user: User): boolean => user.roles.some((held) => held.role === "general-administrator")

/** Whether the caller may see `user`: themselves, or through a tenant where they may read users. */
const maysee = (principal: Principal, user: User): boolean =>
  user.id === principal.id || user.roles.some((held) => mayIn(principal, "users.read", held.tenantID))

/**
 * Whether the caller may change what belongs to the whole account (login, name, e-mail, password,
 * disabled, tokens): only when they administer every tenant the user holds a role in, since the
 * account opens all of them. General administration is changed only by a general administrator.
 */
const mayManageAccount = (principal: Principal, user: User): boolean =>
  isGeneralAdministrator(principal) ||
  (!holdsGeneralAdministration(user) && user.roles.length > 0 && user.roles.every((held) => mayIn(principal, "users.manage", held.tenantID)))

const sameRoles = (a: ReadonlyArray<TenantRole>, b: ReadonlyArray<TenantRole>): boolean =>
  a.length === b.length && a.every((held) => b.some((other) => other.tenantID === held.tenantID && other.role === held.role))

const rolesText = (roles: ReadonlyArray<TenantRole>): string => roles.map((held) => `${held.tenantID}:${held.role}`).join(",")

const mapStoreError = (error: unknown): ApiError | undefined =>
  error instanceof LoginTaken ? new ApiError(409, "login already taken", "another user has this login (compared regardless of case)") : undefined

export const usersRoutes = (context: ApiContext): FastifyPluginAsync => async (app) => {
  const tenantNames = new Map(context.tenants.map((tenant) => [tenant.id as string, tenant.name]))

  /** The user as the caller may see it: roles only in tenants where the caller may read users, all of them for oneself. */
  const present = (principal: Principal, user: User) => ({
    id: user.id,
    login: user.login,
    name: user.name,
    email: user.email,
    disabled: user.disabled,
    createdAt: rfc3339(user.createdAt),
    updatedAt: rfc3339(user.updatedAt),
    roles: user.roles
      .filter((held) => user.id === principal.id || mayIn(principal, "users.read", held.tenantID))
      .map((held) => ({ tenantID: held.tenantID, tenantName: tenantNames.get(held.tenantID) ?? held.tenantID, role: held.role }))
  })

  /** Checks the roles a caller grants: one per tenant, only in tenants they administer, general administration only by a general administrator and only in the main tenant. */
  const checkGrants = (principal: Principal, grants: ReadonlyArray<RoleGrant>): Array<TenantRole> => {
    const seen = new Set<string>()
    for (const grant of grants) {
      if (seen.has(grant.tenantID)) throw new ApiError(400, "one role per tenant", `tenant ${grant.tenantID} is given more than one role`)
      seen.add(grant.tenantID)
      if (grant.role === "general-administrator") {
        if (!isGeneralAdministrator(principal)) throw new ApiError(403, "only a general administrator may grant general administration", "")
        if (grant.tenantID !== MainTenantId) throw new ApiError(400, "general administration is held in the main tenant", `tenant ${grant.tenantID}`)
      }
      if (isGeneralAdministrator(principal) && !tenantNames.has(grant.tenantID)) throw new ApiError(400, "unknown tenant", `tenant ${grant.tenantID}`)
      // A foreign tenant and an unknown one read alike to a tenant administrator.
      if (!mayIn(principal, "users.manage", grant.tenantID)) throw new ApiError(403, "roles may be granted only in tenants you administer", `tenant ${grant.tenantID}`)
    }
    return grants.map((grant) => ({ tenantID: grant.tenantID as TenantId, role: grant.role }))
  }

  /** The user with this id if the caller may see it; otherwise the unknown-id answer. */
  const visibleUser = (principal: Principal, id: string) =>
    Effect.gen(function* () {
      const store = yield* UserStore
      const found = yield* store.getUser(uuidKey(id) as UserId)
      if (Option.isNone(found) || !maysee(principal, found.value)) return yield* Effect.fail(UserNotFound())
      return found.value
    })

  /** The owner of tokens the caller wants to handle: themselves, or a user whose account they manage. */
  const tokenOwner = (principal: Principal, id: string) =>
    Effect.gen(function* () {
      const user = yield* visibleUser(principal, id)
      if (user.id !== principal.id && !mayManageAccount(principal, user)) {
        return yield* Effect.fail(new ApiError(403, "you may manage tokens only of yourself and of users whose every tenant you administer", ""))
      }
      return user
    })

  const asApiError = (error: unknown) => (error instanceof ApiError ? error : mapStoreError(error))

  app.get("/users/whoami", { schema: { response: { 200: WhoamiBody, ...Errors } } }, async (request) => {
    const principal = principalOf(request)
    return {
      id: principal.id,
      name: principal.name,
      login: principal.login,
      email: principal.email,
      // Tenants in directory order; a role in a tenant no longer in the directory is not shown.
      tenants: context.tenants.flatMap((tenant) => {
        const role = principal.roles.get(tenant.id)
        return role === undefined ? [] : [{ id: tenant.id, name: tenant.name, role }]
      })
    }
  })

  app.get<{ Querystring: UsersQuerystring }>(
    "/users",
    { schema: { querystring: UsersQuerystring, response: { 200: { type: "array", items: UserBody }, ...Errors } } },
    async (request) => {
      const principal = principalOf(request)
      const query = request.query
      const name = patternOf("name", query.name)
      const login = patternOf("login", query.login)
      if (tenantsFor(principal, "users.read").length === 0) throw new ApiError(403, "not allowed", "listing users needs an administrator's role")
      const tenantIds = tenantsFor(principal, "users.read", query.tenantID ?? [])
      const users = await runOrFail(
        context,
        Effect.flatMap(UserStore, (store) =>
          store.listUsers({
            tenantIds,
            ids: (query.id ?? []).map((id) => uuidKey(id) as UserId),
            ...(name !== undefined ? { name } : {}),
            ...(login !== undefined ? { login } : {}),
            page: query.page,
            pageSize: PageSize
          })
        )
      )
      return users.map((user) => present(principal, user))
    }
  )

  app.get<{ Params: { id: string } }>(
    "/users/:id",
    { schema: { params: UserIdParams, response: { 200: UserBody, ...Errors } } },
    async (request) => {
      const principal = principalOf(request)
      const user = await runOrFail(context, visibleUser(principal, request.params.id), asApiError)
      return present(principal, user)
    }
  )

  app.post<{ Body: CreateUserBody }>(
    "/users",
    { schema: { body: CreateUserBody, response: { 201: UserBody, ...Errors } } },
    async (request, reply) => {
      const principal = principalOf(request)
      const body = request.body
      if (tenantsFor(principal, "users.manage").length === 0) throw new ApiError(403, "not allowed", "creating users needs an administrator's role")
      const roles = checkGrants(principal, body.roles)
      const passwordHash = hashPassword(body.password)
      const created = await runOrFail(
        context,
        Effect.gen(function* () {
          const store = yield* UserStore
          const now = yield* Clock.currentTimeMillis
          const user: User = {
            id: UserId.make(randomUUID()),
            login: body.login,
            name: body.name ?? body.login,
            email: body.email ?? "",
            roles,
            passwordHash,
            disabled: false,
            createdAt: now,
            updatedAt: now
          }
          yield* store.saveUser(user)
          yield* recordAudit({
            action: "user created",
            message: `user ${user.login} created by ${principal.login}`,
            actor: principal.login,
            details: { userID: user.id, login: user.login, roles: rolesText(roles) }
          })
          return user
        }),
        asApiError
      )
      return reply.status(201).send(present(principal, created))
    }
  )

  app.patch<{ Params: { id: string }; Body: PatchUserBody }>(
    "/users/:id",
    { schema: { params: UserIdParams, body: PatchUserBody, response: { 200: UserBody, ...Errors } } },
    async (request) => {
      const principal = principalOf(request)
      const body = request.body
      const passwordHash = body.password !== undefined ? hashPassword(body.password) : undefined
      const callerDigest = tokenDigest(bearerToken(request))
      const updated = await runOrFail(
        context,
        Effect.gen(function* () {
          const store = yield* UserStore
          const now = yield* Clock.currentTimeMillis
          const user = yield* visibleUser(principal, request.params.id)
          const self = user.id === principal.id
          if (self && body.roles !== undefined) return yield* Effect.fail(new ApiError(403, "nobody may change their own roles", "ask another administrator"))
          if (self && body.disabled !== undefined) return yield* Effect.fail(new ApiError(403, "nobody may disable or enable themselves", "ask another administrator"))
          const accountChange = body.login !== undefined || body.name !== undefined || body.email !== undefined || passwordHash !== undefined || body.disabled !== undefined
          if (!self && holdsGeneralAdministration(user) && !isGeneralAdministrator(principal)) {
            return yield* Effect.fail(new ApiError(403, "only a general administrator may change a general administrator", ""))
          }
          if (!self && accountChange && !mayManageAccount(principal, user)) {
            return yield* Effect.fail(new ApiError(403, "not allowed", "only an administrator of every tenant the user holds a role in may change the account"))
          }
          let roles = user.roles
          if (body.roles !== undefined) {
            if (!user.roles.some((held) => mayIn(principal, "users.manage", held.tenantID))) return yield* Effect.fail(new ApiError(403, "not allowed", "changing roles needs an administrator's role"))
            const grants = body.roles
            const granted = yield* Effect.try({ try: () => checkGrants(principal, grants), catch: (error) => error as ApiError })
            // The grants replace the roles in tenants the caller administers; roles elsewhere stay as they are.
            roles = [...user.roles.filter((held) => !mayIn(principal, "users.manage", held.tenantID)), ...granted]
            if (roles.length === 0) return yield* Effect.fail(new ApiError(400, "a user keeps at least one role", "disable the user instead"))
          }
          const next: User = {
            ...user,
            ...(body.login !== undefined ? { login: body.login } : {}),
            ...(body.name !== undefined ? { name: body.name } : {}),
            ...(body.email !== undefined ? { email: body.email } : {}),
            ...(passwordHash !== undefined ? { passwordHash } : {}),
            ...(body.disabled !== undefined ? { disabled: body.disabled } : {}),
            roles,
            updatedAt: now
          }
          yield* store.saveUser(next)
          const subject = { userID: user.id, login: next.login }
          const audit = (action: string, message: string, details: Record<string, string> = {}) =>
            recordAudit({ action, message: `${message} by ${principal.login}`, actor: principal.login, details: { ...subject, ...details } })
          if (next.login !== user.login) yield* audit("user login changed", `login of user ${user.login} changed to ${next.login}`, { before: user.login, after: next.login })
          if (!sameRoles(user.roles, roles)) yield* audit("user role changed", `roles of user ${next.login} changed`, { before: rolesText(user.roles), after: rolesText(roles) })
          if (passwordHash !== undefined) {
            // A new password ends the console sessions signed in with the old one; the caller's own
            // session and API tokens (not password-based) stay.
            const sessions = (yield* store.tokensOfUser(next.id)).filter(
              (token) => token.description === SessionTokenDescription && token.revokedAt === undefined && token.digest !== callerDigest
            )
            for (const session of sessions) yield* store.revokeToken(next.id, session.id, now)
            yield* audit("user password changed", `password of user ${next.login} changed`, { sessionsEnded: String(sessions.length) })
          }
          const changedFields = [
            ...(next.name !== user.name ? ["name"] : []),
            ...(next.email !== user.email ? ["email"] : []),
            ...(next.disabled !== user.disabled ? ["disabled"] : [])
          ]
          if (changedFields.length > 0) yield* audit("user data changed", `${changedFields.join(", ")} of user ${next.login} changed`, { fields: changedFields.join(",") })
          return next
        }),
        asApiError
      )
      return present(principal, updated)
    }
  )

  const presentToken = (token: Token) => ({
    id: token.id,
    description: token.description,
    createdAt: rfc3339(token.createdAt),
    ...(token.expiresAt !== undefined ? { expiresAt: rfc3339(token.expiresAt) } : {}),
    ...(token.revokedAt !== undefined ? { revokedAt: rfc3339(token.revokedAt) } : {})
  })

  app.get<{ Params: { id: string } }>(
    "/users/:id/tokens",
    { schema: { params: UserIdParams, response: { 200: { type: "array", items: TokenBody }, ...Errors } } },
    async (request) => {
      const principal = principalOf(request)
      const tokens = await runOrFail(
        context,
        Effect.gen(function* () {
          const owner = yield* tokenOwner(principal, request.params.id)
          const store = yield* UserStore
          return yield* store.tokensOfUser(owner.id)
        }),
        asApiError
      )
      return tokens.map(presentToken)
    }
  )

  app.post<{ Params: { id: string }; Body: CreateTokenBody }>(
    "/users/:id/tokens",
    { schema: { params: UserIdParams, body: CreateTokenBody, response: { 201: CreatedTokenBody, ...Errors } } },
    async (request, reply) => {
      const principal = principalOf(request)
      const body = request.body
      const created = await runOrFail(
        context,
        Effect.gen(function* () {
          const owner = yield* tokenOwner(principal, request.params.id)
          const store = yield* UserStore
          const now = yield* Clock.currentTimeMillis
          const secret = newTokenSecret()
          const id = TokenId.make(randomUUID())
          yield* store.saveToken({
            digest: tokenDigest(secret),
            id,
            userId: owner.id,
            description: body.description,
            createdAt: now,
            ...(body.expiresInDays !== undefined ? { expiresAt: now + body.expiresInDays * DayMillis } : {})
          })
          yield* recordAudit({
            action: "user token changed",
            message: `token created for user ${owner.login} by ${principal.login}`,
            actor: principal.login,
            details: { userID: owner.id, login: owner.login, tokenID: id, change: "created", description: body.description }
          })
          return { id, token: secret }
        }),
        asApiError
      )
      return reply.status(201).send(created)
    }
  )

  app.delete<{ Params: { id: string; tokenId: string } }>(
    "/users/:id/tokens/:tokenId",
    { schema: { params: TokenParams, response: { 204: { type: "null" }, ...Errors } } },
    async (request, reply) => {
      const principal = principalOf(request)
      await runOrFail(
        context,
        Effect.gen(function* () {
          const owner = yield* tokenOwner(principal, request.params.id)
          const store = yield* UserStore
          const now = yield* Clock.currentTimeMillis
          const tokenId = uuidKey(request.params.tokenId) as TokenId
          const revoked = yield* store.revokeToken(owner.id, tokenId, now)
          if (!revoked) return yield* Effect.fail(new ApiError(404, "token not found", ""))
          yield* recordAudit({
            action: "user token changed",
            message: `token revoked for user ${owner.login} by ${principal.login}`,
            actor: principal.login,
            details: { userID: owner.id, login: owner.login, tokenID: tokenId, change: "revoked" }
          })
        }),
        asApiError
      )
      return reply.status(204).send()
    }
  )
}
