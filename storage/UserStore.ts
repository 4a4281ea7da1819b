// The user store port: users (global, with roles per tenant) and their API tokens, kept by
// digest. Login uniqueness regardless of case is the store's to enforce, across processes.
import { Context, Data, type Effect, type Option } from "effect"
import type { TenantId } from "../model/Ids.ts"
import { loginKey, type Token, type TokenId, type User, type UserId } from "../model/User.ts"
import { statelessPattern } from "./StoreListing.ts"

export interface UserQuery {
  /** Users holding a role in any of these tenants; empty selects nobody. */
  readonly tenantIds: ReadonlyArray<TenantId>
  readonly ids: ReadonlyArray<UserId>
  /** Regular expressions on the login and the name; the caller decides case sensitivity. */
  readonly login?: RegExp
  readonly name?: RegExp
  /** Pages count from 1. */
  readonly page: number
  readonly pageSize: number
}

/** Storage infrastructure failure; `transient` says whether a retry may succeed. */
export class UserStoreError extends Data.TaggedError("UserStoreError")<{
  readonly message: string
  readonly cause?: unknown
  readonly transient?: boolean
}> {}

/** Another user already has this login (compared regardless of case). */
export class LoginTaken extends Data.TaggedError("LoginTaken")<{ readonly login: string }> {}

export interface UserStoreShape {
  /** Inserts or replaces the user; fails with LoginTaken when another user id holds the login. */
  readonly saveUser: (user: User) => Effect.Effect<void, LoginTaken | UserStoreError>
  readonly getUser: (id: UserId) => Effect.Effect<Option.Option<User>, UserStoreError>
  /** The user whose login equals `login` regardless of case. */
  readonly getUserByLogin: (login: string) => Effect.Effect<Option.Option<User>, UserStoreError>
  /** One page of users, ordered by login (regardless of case), then id. */
  readonly listUsers: (query: UserQuery) => Effect.Effect<ReadonlyArray<User>, UserStoreError>
  /** Inserts or replaces a token, keyed by its digest. */
  readonly saveToken: (token: Token) => Effect.Effect<void, UserStoreError>
  /** The token with this digest, revoked or expired ones included: the caller decides. */
  readonly tokenByDigest: (digest: string) => Effect.Effect<Option.Option<Token>, UserStoreError>
  /** Marks the user's token revoked (keeping the first revocation time); false when the user has no such token. */
  readonly revokeToken: (userId: UserId, tokenId: TokenId, at: number) => Effect.Effect<boolean, UserStoreError>
  /** Every token of the user, revoked ones included, oldest first. */
  readonly tokensOfUser: (userId: UserId) => Effect.Effect<ReadonlyArray<Token>, UserStoreError>
}

export class UserStore extends Context.Tag("corvus/UserStore")<UserStore, UserStoreShape>() {}

const stateless = (pattern: RegExp | undefined): RegExp | undefined => (pattern === undefined ? undefined : statelessPattern(pattern))

/** The page of `users` that `query` selects, in list order; every backend filters through this. */
export const selectUsers = (users: Iterable<User>, query: UserQuery): Array<User> => {
  const tenants = new Set<string>(query.tenantIds)
  const ids = new Set<string>(query.ids)
  const login = stateless(query.login)
  const name = stateless(query.name)
  const selected = [...users].filter(
    (user) =>
      user.roles.some((role) => tenants.has(role.tenantID)) &&
      (ids.size === 0 || ids.has(user.id)) &&
      (login === undefined || login.test(user.login)) &&
      (name === undefined || name.test(user.name))
  )
  selected.sort((a, b) => compareText(loginKey(a.login), loginKey(b.login)) || compareText(a.id, b.id))
  const offset = (query.page - 1) * query.pageSize
  return offset < 0 || query.pageSize <= 0 ? [] : selected.slice(offset, offset + query.pageSize)
}

/** Tokens in `tokensOfUser` order: oldest first, then by id. */
export const compareTokens = (a: Token, b: Token): number => a.createdAt - b.createdAt || compareText(a.id, b.id)

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)
