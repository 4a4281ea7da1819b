// The cluster user store on Cassandra: users by id, logins claimed by lightweight transaction
// so two users can never share one, tokens by digest with a per-user index for listing.
import type cassandra from "cassandra-driver"
import { Effect, Layer, Option, Schema } from "effect"
import { loginKey, Token, User, type TokenId, type UserId } from "../../model/User.ts"
import { compareTokens, LoginTaken, selectUsers, UserStore, UserStoreError, type UserQuery } from "../UserStore.ts"
import { CassandraClient } from "./CassandraClient.ts"
import { readAllRows } from "./CassandraPaging.ts"
import { Tables } from "./CassandraTables.ts"
import { isTransientCassandraError } from "./CassandraTransient.ts"

const decodeUser = Schema.decodeUnknownSync(User)
const decodeToken = Schema.decodeUnknownSync(Token)

const optionalTime = (value: unknown): number | undefined => (value instanceof Date ? value.getTime() : undefined)

const tokenOfRow = (row: cassandra.types.Row): Token => {
  const expiresAt = optionalTime(row.get("expires_at"))
  const revokedAt = optionalTime(row.get("revoked_at"))
  return decodeToken({
    digest: String(row.get("digest")),
    id: String(row.get("id")),
    userId: String(row.get("user_id")),
    description: String(row.get("description") ?? ""),
    createdAt: (row.get("created_at") as Date).getTime(),
    ...(expiresAt !== undefined ? { expiresAt } : {}),
    ...(revokedAt !== undefined ? { revokedAt } : {})
  })
}

/** Builds the Cassandra user store over the process's session (the schema comes from the migrations). */
export const make = Effect.gen(function* () {
  const { client } = yield* CassandraClient
  const run = <A>(message: string, work: () => Promise<A>) =>
    Effect.tryPromise({ try: work, catch: (cause) => new UserStoreError({ message, cause, transient: isTransientCassandraError(cause) }) })

  const readUser = async (id: string): Promise<User | undefined> => {
    const row = (await client.execute(`SELECT body FROM ${Tables.users} WHERE id = ?`, [id], { prepare: true })).first()
    return row === null ? undefined : decodeUser(JSON.parse(String(row.get("body"))))
  }

  const readToken = async (digest: string): Promise<Token | undefined> => {
    const row = (await client.execute(`SELECT * FROM ${Tables.tokens} WHERE digest = ?`, [digest], { prepare: true })).first()
    return row === null ? undefined : tokenOfRow(row)
  }

  // Claim the login first, write the user, then give up the login it had before: a crash in
  // between leaves at worst an old login still claimed by this user, never one shared by two.
  const saveUser = (user: User) =>
    run("user write failed", async (): Promise<LoginTaken | undefined> => {
      const key = loginKey(user.login)
      const claim = await client.execute(`INSERT INTO ${Tables.userLogins} (login, user_id) VALUES (?, ?) IF NOT EXISTS`, [key, user.id], {
        prepare: true
      })
      if (!claim.wasApplied() && String(claim.first()?.get("user_id")) !== user.id) return new LoginTaken({ login: user.login })
      const previous = await readUser(user.id)
      await client.execute(`INSERT INTO ${Tables.users} (id, body) VALUES (?, ?)`, [user.id, JSON.stringify(user)], { prepare: true })
      if (previous !== undefined && loginKey(previous.login) !== key) {
        await client.execute(`DELETE FROM ${Tables.userLogins} WHERE login = ? IF user_id = ?`, [loginKey(previous.login), user.id], { prepare: true })
      }
      return undefined
    }).pipe(Effect.flatMap((taken) => (taken === undefined ? Effect.void : Effect.fail(taken))))

  const getUser = (id: UserId) => run("user read failed", async () => Option.fromNullable(await readUser(id)))

  const getUserByLogin = (login: string) =>
    run("user read failed", async () => {
      const key = loginKey(login)
      const claim = (await client.execute(`SELECT user_id FROM ${Tables.userLogins} WHERE login = ?`, [key], { prepare: true })).first()
      if (claim === null) return Option.none()
      const user = await readUser(String(claim.get("user_id")))
      // A claim made by a save still in flight (or left by a crash) names a user without that login.
      return user !== undefined && loginKey(user.login) === key ? Option.some(user) : Option.none()
    })

  const listUsers = (query: UserQuery) =>
    run("user list failed", async () => {
      if (query.tenantIds.length === 0) return []
      // Users are few (people, not events) and global, so a listing reads them all and filters here.
      const users =
        query.ids.length > 0
          ? (await Promise.all(query.ids.map(readUser))).filter((user): user is User => user !== undefined)
          : (await readAllRows(client, `SELECT body FROM ${Tables.users}`, [])).map((row) => decodeUser(JSON.parse(String(row.get("body")))))
      return selectUsers(users, query)
    })

  // The index row goes first, so a token that can be presented can also be listed and revoked.
  const saveToken = (token: Token) =>
    run("token write failed", async () => {
      await client.execute(`INSERT INTO ${Tables.userTokens} (user_id, id, digest) VALUES (?, ?, ?)`, [token.userId, token.id, token.digest], {
        prepare: true
      })
      await client.execute(
        `INSERT INTO ${Tables.tokens} (digest, id, user_id, description, created_at, expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
        [
          token.digest,
          token.id,
          token.userId,
          token.description,
          new Date(token.createdAt),
          token.expiresAt === undefined ? null : new Date(token.expiresAt),
          token.revokedAt === undefined ? null : new Date(token.revokedAt)
        ],
        { prepare: true }
      )
    })

  const tokenByDigest = (digest: string) => run("token read failed", async () => Option.fromNullable(await readToken(digest)))

  const revokeToken = (userId: UserId, tokenId: TokenId, at: number) =>
    run("token revocation failed", async () => {
      const pointer = (await client.execute(`SELECT digest FROM ${Tables.userTokens} WHERE user_id = ? AND id = ?`, [userId, tokenId], { prepare: true })).first()
      if (pointer === null) return false
      const digest = String(pointer.get("digest"))
      const token = await readToken(digest)
      // The digest may since have been saved again for another user or token id.
      if (token === undefined || token.userId !== userId || token.id !== tokenId) return false
      if (token.revokedAt !== undefined) return true
      // A plain update (no condition): tokens are written without Paxos, and mixing the two
      // timestamp sources on one row can reorder writes. Two racing revocations both revoke.
      await client.execute(`UPDATE ${Tables.tokens} SET revoked_at = ? WHERE digest = ?`, [new Date(at), digest], { prepare: true })
      return true
    })

  const tokensOfUser = (userId: UserId) =>
    run("token list failed", async () => {
      const pointers = await readAllRows(client, `SELECT id, digest FROM ${Tables.userTokens} WHERE user_id = ?`, [userId])
      const tokens = await Promise.all(
        pointers.map(async (row) => {
          const token = await readToken(String(row.get("digest")))
          // A digest saved again under another token id or user leaves this pointer stale.
          return token !== undefined && token.userId === userId && token.id === String(row.get("id")) ? token : undefined
        })
      )
      return tokens
        .filter((token): token is Token => token !== undefined)
        .sort(compareTokens)
    })

  return { saveUser, getUser, getUserByLogin, listUsers, saveToken, tokenByDigest, revokeToken, tokensOfUser }
})

/** The Cassandra user store over the process's session. */
export const layer: Layer.Layer<UserStore, never, CassandraClient> = Layer.effect(UserStore, make)
