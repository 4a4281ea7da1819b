// The embedded user store on DuckDB: users as JSON bodies with their lower-cased login beside
// them, tokens as rows by digest. The login check and the write run under the database's one
// permit, so no other statement of this process can slip between them.
import type { DuckDBValue } from "@duckdb/node-api"
import { Effect, Layer, Option, Schema } from "effect"
import { loginKey, Token, User, type TokenId, type UserId } from "../../model/User.ts"
import { compareTokens, LoginTaken, selectUsers, UserStore, UserStoreError, type UserQuery } from "../UserStore.ts"
import { DuckDb, placeholders, type DuckDbError } from "./DuckDb.ts"

const decodeUser = Schema.decodeUnknownSync(User)
const decodeToken = Schema.decodeUnknownSync(Token)
const toStoreError = (error: DuckDbError) => new UserStoreError({ message: error.message, cause: error.cause })

const CreateTables = [
  `CREATE TABLE IF NOT EXISTS users (id VARCHAR PRIMARY KEY, login_key VARCHAR NOT NULL, body VARCHAR NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS tokens (
     digest VARCHAR PRIMARY KEY, id VARCHAR NOT NULL, user_id VARCHAR NOT NULL, description VARCHAR NOT NULL,
     created_at BIGINT NOT NULL, expires_at BIGINT, revoked_at BIGINT)`
]

const optionalTime = (value: unknown): number | undefined => (value === null || value === undefined ? undefined : Number(value))

const tokenOfRow = (row: Record<string, unknown>): Token => {
  const expiresAt = optionalTime(row.expires_at)
  const revokedAt = optionalTime(row.revoked_at)
  return decodeToken({
    digest: row.digest,
    id: row.id,
    userId: row.user_id,
    description: row.description,
    createdAt: Number(row.created_at),
    ...(expiresAt !== undefined ? { expiresAt } : {}),
    ...(revokedAt !== undefined ? { revokedAt } : {})
  })
}

const usersOf = (rows: ReadonlyArray<Record<string, unknown>>): Array<User> => rows.map((row) => decodeUser(JSON.parse(String(row.body))))

/** Builds the embedded user store, creating its tables if missing. */
export const make = Effect.gen(function* () {
  const db = yield* DuckDb
  for (const statement of CreateTables) yield* db.query(statement)

  const saveUser = (user: User) =>
    db
      .withConnection("user write", async (connection) => {
        const key = loginKey(user.login)
        const holders = (await connection.runAndReadAll(`SELECT id FROM users WHERE login_key = ? AND id <> ?`, [key, user.id])).getRowObjectsJS()
        if (holders.length > 0) return new LoginTaken({ login: user.login })
        await connection.run(`INSERT OR REPLACE INTO users (id, login_key, body) VALUES (?, ?, ?)`, [user.id, key, JSON.stringify(user)])
        return undefined
      })
      .pipe(
        Effect.mapError(toStoreError),
        Effect.flatMap((taken) => (taken === undefined ? Effect.void : Effect.fail(taken)))
      )

  const getUser = (id: UserId) =>
    db.query(`SELECT body FROM users WHERE id = ?`, [id]).pipe(
      Effect.map((rows) => Option.fromNullable(usersOf(rows)[0])),
      Effect.mapError(toStoreError)
    )

  const getUserByLogin = (login: string) =>
    db.query(`SELECT body FROM users WHERE login_key = ?`, [loginKey(login)]).pipe(
      Effect.map((rows) => Option.fromNullable(usersOf(rows)[0])),
      Effect.mapError(toStoreError)
    )

  // Roles live in the JSON body and the patterns are JavaScript regular expressions, so the
  // shared selection does the filtering; users are few.
  const listUsers = (query: UserQuery) => {
    if (query.tenantIds.length === 0) return Effect.succeed([])
    const byIds = query.ids.length > 0
    return db.query(`SELECT body FROM users${byIds ? ` WHERE id IN (${placeholders(query.ids)})` : ""}`, byIds ? [...query.ids] : []).pipe(
      Effect.map((rows) => selectUsers(usersOf(rows), query)),
      Effect.mapError(toStoreError)
    )
  }

  const saveToken = (token: Token) => {
    const values: Array<DuckDBValue> = [
      token.digest,
      token.id,
      token.userId,
      token.description,
      token.createdAt,
      token.expiresAt ?? null,
      token.revokedAt ?? null
    ]
    return db
      .query(`INSERT OR REPLACE INTO tokens (digest, id, user_id, description, created_at, expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?)`, values)
      .pipe(Effect.asVoid, Effect.mapError(toStoreError))
  }

  const tokenByDigest = (digest: string) =>
    db.query(`SELECT * FROM tokens WHERE digest = ?`, [digest]).pipe(
      Effect.map((rows) => Option.fromNullable(rows[0]).pipe(Option.map(tokenOfRow))),
      Effect.mapError(toStoreError)
    )

  const revokeToken = (userId: UserId, tokenId: TokenId, at: number) =>
    db.query(`UPDATE tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE user_id = ? AND id = ? RETURNING digest`, [at, userId, tokenId]).pipe(
      Effect.map((rows) => rows.length > 0),
      Effect.mapError(toStoreError)
    )

  const tokensOfUser = (userId: UserId) =>
    db.query(`SELECT * FROM tokens WHERE user_id = ?`, [userId]).pipe(
      Effect.map((rows) => rows.map(tokenOfRow).sort(compareTokens)),
      Effect.mapError(toStoreError)
    )

  return { saveUser, getUser, getUserByLogin, listUsers, saveToken, tokenByDigest, revokeToken, tokensOfUser }
})

/** The embedded user store over the process's DuckDB. */
export const layerEmbedded: Layer.Layer<UserStore, DuckDbError, DuckDb> = Layer.effect(UserStore, make)
