// Users made outside the API: the general administrator at first start (with the token from
// CORVUS_ADMIN_TOKEN or a generated one) and, in tests and demos, users with chosen tokens.
import { Clock, Effect, Option } from "effect"
import { createHash } from "node:crypto"
import type { TenantId } from "../model/Ids.ts"
import { MainTenantId } from "../model/Tenant.ts"
import { hashPassword, tokenDigest, TokenId, UserId, type Role, type User } from "../model/User.ts"
import { UserStore } from "../storage/UserStore.ts"

export interface ProvisionedUser {
  readonly login: string
  readonly name?: string
  readonly email?: string
  readonly roles: ReadonlyArray<{ readonly tenantID: TenantId; readonly role: Role }>
  /** Sign-in password, set on every provisioning; none leaves the user signing in by token only. */
  readonly password?: string
  /** Sign-in password given only when the user is created: a later change (the console's) survives restarts. */
  readonly initialPassword?: string
  /** An API token to register for the user (kept only as its digest). */
  readonly token?: string
  /** How the token is listed; default "provisioned". */
  readonly tokenDescription?: string
}

// Ids derived from the login and token, so provisioning twice (every start) finds the same rows.
const stableUuid = (text: string): string => {
  const hex = createHash("sha256").update(text).digest("hex")
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`
}

/** Creates the user (or updates its roles) and registers its token; idempotent. */
export const provisionUser = (wanted: ProvisionedUser) =>
  Effect.gen(function* () {
    const store = yield* UserStore
    const now = yield* Clock.currentTimeMillis
    const existing = yield* store.getUserByLogin(wanted.login)
    const user: User = Option.match(existing, {
      onNone: () => ({
        id: UserId.make(stableUuid(`user:${wanted.login.toLowerCase()}`)),
        login: wanted.login,
        name: wanted.name ?? wanted.login,
        email: wanted.email ?? "",
        roles: [...wanted.roles],
        // A random password nobody knows when none is given: sign-in is refused, tokens work.
        passwordHash: hashPassword(wanted.password ?? wanted.initialPassword ?? crypto.randomUUID()),
        disabled: false,
        createdAt: now,
        updatedAt: now
      }),
      onSome: (user) => ({ ...user, roles: [...wanted.roles], ...(wanted.password !== undefined ? { passwordHash: hashPassword(wanted.password) } : {}), updatedAt: now })
    })
    yield* store.saveUser(user)
    if (wanted.token !== undefined) {
      const digest = tokenDigest(wanted.token)
      const known = yield* store.tokenByDigest(digest)
      if (Option.isNone(known) || known.value.userId !== user.id) {
        yield* store.saveToken({ digest, id: TokenId.make(stableUuid(`token:${digest}`)), userId: user.id, description: wanted.tokenDescription ?? "provisioned", createdAt: now })
      }
    }
    return user
  })

/** Whether the login is still free, i.e. provisioning it now creates the user. */
const isNew = (login: string) => Effect.flatMap(UserStore, (store) => Effect.map(store.getUserByLogin(login), Option.isNone))

/**
 * The general administrator: login `admin`, general administration in the main tenant. `password`
 * is set on every start; `initialPassword` only when the admin is created. Answers whether it was.
 */
export const provisionAdmin = (
  token: string,
  options: { readonly password?: string; readonly initialPassword?: string; readonly generatedBy?: string } = {}
) =>
  Effect.gen(function* () {
    const created = yield* isNew("admin")
    const { generatedBy, ...passwords } = options
    // A token a node generated (no CORVUS_ADMIN_TOKEN) is listed as that node's, so its next
    // start can revoke the one it printed before instead of piling up valid admin tokens.
    const tokenDescription = generatedBy === undefined ? undefined : `generated at start of node ${generatedBy}`
    const admin = yield* provisionUser({
      login: "admin",
      name: "General administrator",
      roles: [{ tenantID: MainTenantId, role: "general-administrator" }],
      token,
      ...passwords,
      ...(tokenDescription !== undefined ? { tokenDescription } : {})
    })
    if (tokenDescription !== undefined) {
      const store = yield* UserStore
      const now = yield* Clock.currentTimeMillis
      const current = tokenDigest(token)
      for (const earlier of yield* store.tokensOfUser(admin.id)) {
        if (earlier.description === tokenDescription && earlier.digest !== current && earlier.revokedAt === undefined) yield* store.revokeToken(admin.id, earlier.id, now)
      }
    }
    return { created }
  })
