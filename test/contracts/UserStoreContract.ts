// The UserStore contract: embedded (DuckDB) and Cassandra must behave the same. Users are
// global, so every test uses tenants and logins of its own and lists only through them.
import { describe, expect, type Vitest } from "@effect/vitest"
import { Effect, Either, Option } from "effect"
import { randomUUID } from "node:crypto"
import { TenantId } from "../../model/Ids.ts"
import { hashPassword, TokenId, tokenDigest, UserId, type Role, type Token, type User } from "../../model/User.ts"
import { LoginTaken, UserStore, type UserQuery } from "../../storage/UserStore.ts"
import { uniqueSuffix } from "../support/testIds.ts"

// One real hash shared by every user: scrypt is deliberately slow.
const passwordHash = hashPassword("s3cret-for-tests")

const newTenant = () => TenantId.make(`t${uniqueSuffix()}`)

const user = (login: string, roles: ReadonlyArray<readonly [TenantId, Role]>, overrides: Partial<User> = {}): User => ({
  id: UserId.make(randomUUID()),
  login,
  name: `Name of ${login}`,
  email: `${login}@example.org`,
  roles: roles.map(([tenantID, role]) => ({ tenantID, role })),
  passwordHash,
  disabled: false,
  createdAt: 1_700_000_000_000,
  updatedAt: 1_700_000_000_000,
  ...overrides
})

const token = (owner: User, overrides: Partial<Token> = {}): Token => ({
  digest: tokenDigest(`plaintext-${randomUUID()}`),
  id: TokenId.make(randomUUID()),
  userId: owner.id,
  description: "CI pipeline",
  createdAt: 1_700_000_000_000,
  ...overrides
})

const query = (tenantIds: ReadonlyArray<TenantId>, overrides: Partial<UserQuery> = {}): UserQuery => ({
  tenantIds,
  ids: [],
  page: 1,
  pageSize: 250,
  ...overrides
})

/** Registers the UserStore contract's tests on `it`, whose layer provides the backend under test. */
export const userStoreContract = (it: Vitest.MethodsNonLive<UserStore, true>) =>
  describe("UserStore contract", () => {
    it.effect("saves a user and reads it back by id and by its login in any case; unknown ids and logins are missing", () =>
      Effect.gen(function* () {
        const store = yield* UserStore
        const login = `Alice.${uniqueSuffix()}`
        const saved = user(login, [[newTenant(), "tier-1-analyst"]])
        yield* store.saveUser(saved)
        expect(yield* store.getUser(saved.id)).toEqual(Option.some(saved))
        expect(yield* store.getUserByLogin(login)).toEqual(Option.some(saved))
        expect(yield* store.getUserByLogin(login.toUpperCase())).toEqual(Option.some(saved))
        expect(yield* store.getUserByLogin(login.toLowerCase())).toEqual(Option.some(saved))
        expect(yield* store.getUser(UserId.make(randomUUID()))).toEqual(Option.none())
        expect(yield* store.getUserByLogin(`nobody.${uniqueSuffix()}`)).toEqual(Option.none())
      }).pipe(Effect.orDie))

    it.effect("replaces a user saved again with the same id; a changed login frees the old one for others", () =>
      Effect.gen(function* () {
        const store = yield* UserStore
        const tenant = newTenant()
        const oldLogin = `bob.${uniqueSuffix()}`
        const newLogin = `robert.${uniqueSuffix()}`
        const first = user(oldLogin, [[tenant, "junior-analyst"]])
        yield* store.saveUser(first)
        const renamed: User = { ...first, login: newLogin, name: "Robert", roles: [{ tenantID: tenant, role: "tier-2-analyst" }], disabled: true, updatedAt: first.updatedAt + 1 }
        yield* store.saveUser(renamed)
        expect(yield* store.getUser(first.id)).toEqual(Option.some(renamed))
        expect(yield* store.getUserByLogin(newLogin)).toEqual(Option.some(renamed))
        expect(yield* store.getUserByLogin(oldLogin)).toEqual(Option.none())
        expect(yield* store.listUsers(query([tenant]))).toEqual([renamed])
        // Only the case changes: still the same login, still this user's.
        const recased: User = { ...renamed, login: newLogin.toUpperCase() }
        yield* store.saveUser(recased)
        expect(yield* store.getUserByLogin(newLogin)).toEqual(Option.some(recased))
        const successor = user(oldLogin.toUpperCase(), [[tenant, "tier-1-analyst"]])
        yield* store.saveUser(successor)
        expect(yield* store.getUserByLogin(oldLogin)).toEqual(Option.some(successor))
      }).pipe(Effect.orDie))

    it.effect("refuses with LoginTaken a login another user holds, whatever its case, and stores nothing of that user", () =>
      Effect.gen(function* () {
        const store = yield* UserStore
        const login = `carol.${uniqueSuffix()}`
        const holder = user(login, [[newTenant(), "tenant-administrator"]])
        yield* store.saveUser(holder)
        const intruder = user(login.toUpperCase(), [[newTenant(), "tier-1-analyst"]])
        expect(yield* Effect.flip(store.saveUser(intruder))).toEqual(new LoginTaken({ login: intruder.login }))
        expect(yield* store.getUser(intruder.id)).toEqual(Option.none())
        expect(yield* store.getUserByLogin(login)).toEqual(Option.some(holder))
        // Renaming another existing user onto the login is refused the same way, and keeps its own.
        const other = user(`dave.${uniqueSuffix()}`, [[newTenant(), "tier-1-analyst"]])
        yield* store.saveUser(other)
        expect(yield* Effect.flip(store.saveUser({ ...other, login }))).toEqual(new LoginTaken({ login }))
        expect(yield* store.getUserByLogin(other.login)).toEqual(Option.some(other))
      }).pipe(Effect.orDie))

    it.effect("lets exactly one of two users saved at once with the same login win", () =>
      Effect.gen(function* () {
        const store = yield* UserStore
        const tenant = newTenant()
        const login = `erin.${uniqueSuffix()}`
        const rivals = [user(login, [[tenant, "tier-1-analyst"]]), user(login.toUpperCase(), [[tenant, "tier-2-analyst"]]), user(login, [[tenant, "junior-analyst"]])]
        const outcomes = yield* Effect.all(rivals.map((rival) => Effect.either(store.saveUser(rival))), { concurrency: "unbounded" })
        const winners = rivals.filter((_, index) => Either.isRight(outcomes[index]!))
        expect(winners.length).toBe(1)
        for (const outcome of outcomes) if (Either.isLeft(outcome)) expect(outcome.left).toBeInstanceOf(LoginTaken)
        expect(yield* store.getUserByLogin(login)).toEqual(Option.some(winners[0]))
        expect(yield* store.listUsers(query([tenant]))).toEqual(winners)
      }).pipe(Effect.orDie))

    it.effect("keeps one user when the same user is saved many times at once", () =>
      Effect.gen(function* () {
        const store = yield* UserStore
        const tenant = newTenant()
        const saved = user(`frank.${uniqueSuffix()}`, [[tenant, "tier-1-analyst"]])
        yield* Effect.all(
          Array.from({ length: 6 }, () => store.saveUser(saved)),
          { concurrency: "unbounded" }
        )
        expect(yield* store.listUsers(query([tenant]))).toEqual([saved])
        expect(yield* store.listUsers(query([tenant], { ids: [saved.id] }))).toEqual([saved])
        expect(yield* store.getUserByLogin(saved.login)).toEqual(Option.some(saved))
      }).pipe(Effect.orDie))

    it.effect("lists users holding a role in any named tenant, by login regardless of case, with id, login and name filters and pages", () =>
      Effect.gen(function* () {
        const store = yield* UserStore
        const tenant2 = newTenant()
        const tenant3 = newTenant()
        const elsewhere = newTenant()
        const suffix = uniqueSuffix()
        const zoe = user(`zoe.${suffix}`, [[tenant2, "tier-1-analyst"]], { name: "Zoe Analyst" })
        const adam = user(`Adam.${suffix}`, [[tenant2, "tenant-administrator"], [tenant3, "junior-analyst"]], { name: "Adam Admin" })
        const mia = user(`mia.${suffix}`, [[tenant3, "tier-2-analyst"]], { name: "Mia Analyst" })
        const kim = user(`kim.${suffix}`, [[elsewhere, "tier-1-analyst"]], { name: "Kim Analyst" })
        const nobody = user(`nobody.${suffix}`, [], { name: "No Roles" })
        for (const saved of [zoe, adam, mia, kim, nobody]) yield* store.saveUser(saved)

        expect(yield* store.listUsers(query([tenant2]))).toEqual([adam, zoe])
        // A user with roles in both tenants is listed once.
        expect(yield* store.listUsers(query([tenant2, tenant3]))).toEqual([adam, mia, zoe])
        expect(yield* store.listUsers(query([tenant2, tenant3], { ids: [mia.id, kim.id] }))).toEqual([mia])
        expect(yield* store.listUsers(query([tenant2, tenant3], { login: /^ADAM\./i }))).toEqual([adam])
        expect(yield* store.listUsers(query([tenant2, tenant3], { name: /analyst/i }))).toEqual([mia, zoe])
        expect(yield* store.listUsers(query([tenant2, tenant3], { name: /analyst/gi }))).toEqual([mia, zoe])
        expect(yield* store.listUsers(query([tenant2, tenant3], { pageSize: 2, page: 1 }))).toEqual([adam, mia])
        expect(yield* store.listUsers(query([tenant2, tenant3], { pageSize: 2, page: 2 }))).toEqual([zoe])
        expect(yield* store.listUsers(query([tenant2, tenant3], { pageSize: 2, page: 3 }))).toEqual([])
        expect(yield* store.listUsers(query([tenant2, tenant3], { pageSize: 3, page: 2 }))).toEqual([])
        expect(yield* store.listUsers(query([]))).toEqual([])
        expect(yield* store.listUsers(query([], { ids: [adam.id] }))).toEqual([])
        expect(yield* store.listUsers(query([newTenant()]))).toEqual([])
        expect(yield* store.listUsers(query([tenant2], { ids: [UserId.make(randomUUID())] }))).toEqual([])
        expect(yield* store.listUsers(query([tenant2], { login: /^no-such-login$/ }))).toEqual([])
      }).pipe(Effect.orDie))

    it.effect("saves tokens by digest and finds them by digest and by user, oldest first; unknown digests and users have none", () =>
      Effect.gen(function* () {
        const store = yield* UserStore
        const owner = user(`gina.${uniqueSuffix()}`, [[newTenant(), "tier-1-analyst"]])
        yield* store.saveUser(owner)
        const newer = token(owner, { createdAt: 1_700_000_002_000, expiresAt: 1_800_000_000_000, description: "SOAR" })
        const older = token(owner, { createdAt: 1_700_000_001_000 })
        yield* store.saveToken(newer)
        yield* store.saveToken(older)
        expect(yield* store.tokenByDigest(newer.digest)).toEqual(Option.some(newer))
        const plain = Option.getOrThrow(yield* store.tokenByDigest(older.digest))
        // Optional times absent stay absent rather than coming back as undefined or null.
        expect(plain).toStrictEqual(older)
        expect(yield* store.tokensOfUser(owner.id)).toEqual([older, newer])
        expect(yield* store.tokenByDigest(tokenDigest(`never-issued-${uniqueSuffix()}`))).toEqual(Option.none())
        expect(yield* store.tokensOfUser(UserId.make(randomUUID()))).toEqual([])
      }).pipe(Effect.orDie))

    it.effect("revokes a user's token once (the first time stays), keeps it findable, and answers false for another user's or an unknown token", () =>
      Effect.gen(function* () {
        const store = yield* UserStore
        const owner = user(`hank.${uniqueSuffix()}`, [[newTenant(), "tier-1-analyst"]])
        const stranger = user(`ivy.${uniqueSuffix()}`, [[newTenant(), "tier-1-analyst"]])
        const issued = token(owner)
        const kept = token(owner, { createdAt: issued.createdAt + 1 })
        yield* store.saveToken(issued)
        yield* store.saveToken(kept)
        expect(yield* store.revokeToken(stranger.id, issued.id, 1_700_000_005_000)).toBe(false)
        expect(yield* store.revokeToken(owner.id, TokenId.make(randomUUID()), 1_700_000_005_000)).toBe(false)
        expect(yield* store.tokenByDigest(issued.digest)).toEqual(Option.some(issued))
        expect(yield* store.revokeToken(owner.id, issued.id, 1_700_000_005_000)).toBe(true)
        const revoked: Token = { ...issued, revokedAt: 1_700_000_005_000 }
        expect(yield* store.tokenByDigest(issued.digest)).toEqual(Option.some(revoked))
        expect(yield* store.revokeToken(owner.id, issued.id, 1_700_000_009_000)).toBe(true)
        expect(yield* store.tokenByDigest(issued.digest)).toEqual(Option.some(revoked))
        expect(yield* store.tokensOfUser(owner.id)).toEqual([revoked, kept])
      }).pipe(Effect.orDie))

    it.effect("keeps one token when the same token is saved many times at once", () =>
      Effect.gen(function* () {
        const store = yield* UserStore
        const owner = user(`jack.${uniqueSuffix()}`, [[newTenant(), "tier-1-analyst"]])
        const issued = token(owner)
        yield* Effect.all(
          Array.from({ length: 6 }, () => store.saveToken(issued)),
          { concurrency: "unbounded" }
        )
        expect(yield* store.tokensOfUser(owner.id)).toEqual([issued])
        expect(yield* store.tokenByDigest(issued.digest)).toEqual(Option.some(issued))
      }).pipe(Effect.orDie))
  })
