// Console sign-in and sign-out through the real routes on the embedded stores (issue 7 point 2):
// a session token for a right password, one indistinguishable 401 for everything else, logout
// revoking at once, repeated failures slowed with 429 and Retry-After, and every attempt audited.
import Fastify from "fastify"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { TenantId } from "../../model/Ids.ts"
import type { Tenant } from "../../model/Tenant.ts"
import { embeddedGatewayApp, provisionUsers } from "../../test/support/gatewayUsers.ts"
import { installErrorHandler } from "../ApiServer.ts"
import { SignInThrottle } from "../SignInThrottle.ts"
import { provisionAdmin } from "../UserProvisioning.ts"
import { SessionLifetimeMillis, sessionRoutes } from "./session.ts"

const tenants: ReadonlyArray<Tenant> = [
  { id: TenantId.make("main"), name: "Main", main: true },
  { id: TenantId.make("tenant-b"), name: "Tenant B", main: false }
]

const { runtime, context, app } = await embeddedGatewayApp(tenants)

// Each test signs in from its own address, so the node's throttle never carries over between tests.
const signIn = async (login: string, password: string, remoteAddress: string) => {
  const response = await app.inject({ method: "POST", url: "/api/v1/login", payload: { login, password }, remoteAddress })
  return { status: response.statusCode, body: response.json() as Record<string, unknown>, raw: response.body }
}

const call = async (method: "GET" | "POST" | "PATCH", url: string, token: string | undefined, payload?: unknown) => {
  const response = await app.inject({
    method,
    url: `/api/v1/${url}`,
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    ...(payload !== undefined ? { payload: payload as object } : {})
  })
  return { status: response.statusCode, body: response.body === "" ? undefined : (response.json() as unknown) }
}

beforeAll(async () => {
  await runtime.runPromise(
    provisionUsers([
      { login: "admin", token: "admin-token", roles: [["main", "general-administrator"]] },
      { login: "Alice", token: "alice-api-token", password: "alice's password", roles: [["main", "tier-1-analyst"]] },
      { login: "bob", token: "bob-token", password: "bob's password", roles: [["tenant-b", "tier-1-analyst"]] },
      { login: "gone", token: "gone-token", password: "gone's password", roles: [["main", "junior-analyst"]] }
    ])
  )
})
afterAll(async () => {
  await app.close()
  await runtime.dispose()
})

describe("POST /api/v1/login", () => {
  it("a right login (any case) and password give a 12-hour console session token that authenticates like an API token", async () => {
    const before = Date.now()
    const response = await signIn("ALICE", "alice's password", "10.0.1.1")
    expect(response.status).toBe(200)
    const token = String(response.body.token)
    const expiresAt = Date.parse(String(response.body.expiresAt))
    expect(expiresAt).toBeGreaterThanOrEqual(before + SessionLifetimeMillis)
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + SessionLifetimeMillis)
    const whoami = await call("GET", "users/whoami", token)
    expect(whoami.status).toBe(200)
    expect(whoami.body).toMatchObject({ login: "Alice" })
    const id = (whoami.body as { id: string }).id
    const tokens = await call("GET", `users/${id}/tokens`, token)
    expect((tokens.body as Array<{ description: string }>).map((item) => item.description)).toContain("console session")
  })

  it("a password change ends the user's other console sessions, keeps the one that made it and the API tokens", async () => {
    await runtime.runPromise(provisionUsers([{ login: "carol", token: "carol-api-token", password: "carol's password", roles: [["main", "tier-1-analyst"]] }]))
    const first = String((await signIn("carol", "carol's password", "10.0.9.1")).body.token)
    const second = String((await signIn("carol", "carol's password", "10.0.9.2")).body.token)
    const id = ((await call("GET", "users/whoami", first)).body as { id: string }).id
    expect((await call("PATCH", `users/${id}`, first, { password: "carol's new password" })).status).toBe(200)
    expect((await call("GET", "users/whoami", first)).status).toBe(200)
    expect((await call("GET", "users/whoami", second)).status).toBe(403)
    expect((await call("GET", "users/whoami", "carol-api-token")).status).toBe(200)
    expect((await signIn("carol", "carol's new password", "10.0.9.3")).status).toBe(200)
  })

  it("a fresh installation's admin signs in with the initial password; a password changed later survives the next start's provisioning", async () => {
    const fresh = await embeddedGatewayApp(tenants)
    try {
      const first = await fresh.runtime.runPromise(provisionAdmin("fresh-admin-token", { initialPassword: "first start secret" }))
      expect(first.created).toBe(true)
      const signInHere = (password: string) => fresh.app.inject({ method: "POST", url: "/api/v1/login", payload: { login: "admin", password }, remoteAddress: "10.0.8.1" })
      expect((await signInHere("first start secret")).statusCode).toBe(200)
      const me = (await fresh.app.inject({ method: "GET", url: "/api/v1/users/whoami", headers: { authorization: "Bearer fresh-admin-token" } })).json() as { id: string }
      expect((await fresh.app.inject({ method: "PATCH", url: `/api/v1/users/${me.id}`, headers: { authorization: "Bearer fresh-admin-token" }, payload: { password: "chosen in the console" } })).statusCode).toBe(200)
      const restart = await fresh.runtime.runPromise(provisionAdmin("fresh-admin-token", { initialPassword: "another generated one" }))
      expect(restart.created).toBe(false)
      expect((await signInHere("chosen in the console")).statusCode).toBe(200)
      expect((await signInHere("another generated one")).statusCode).toBe(401)
    } finally {
      await fresh.app.close()
      await fresh.runtime.dispose()
    }
  })

  it("a node's generated admin token replaces the one it generated at its previous start; a chosen token and other nodes' stay", async () => {
    const fresh = await embeddedGatewayApp(tenants)
    try {
      const whoami = (token: string) => fresh.app.inject({ method: "GET", url: "/api/v1/users/whoami", headers: { authorization: `Bearer ${token}` } })
      await fresh.runtime.runPromise(provisionAdmin("chosen-token"))
      await fresh.runtime.runPromise(provisionAdmin("node-1-first-start", { generatedBy: "node-1" }))
      await fresh.runtime.runPromise(provisionAdmin("node-2-first-start", { generatedBy: "node-2" }))
      await fresh.runtime.runPromise(provisionAdmin("node-1-second-start", { generatedBy: "node-1" }))
      expect((await whoami("node-1-first-start")).statusCode).toBe(403)
      for (const token of ["node-1-second-start", "node-2-first-start", "chosen-token"]) expect((await whoami(token)).statusCode, token).toBe(200)
    } finally {
      await fresh.app.close()
      await fresh.runtime.dispose()
    }
  })

  it("an unknown login, a wrong password and a disabled user get the same 401 body", async () => {
    const unknown = await signIn("nobody", "alice's password", "10.0.2.1")
    const wrong = await signIn("Alice", "not the password", "10.0.2.2")
    const gone = await call("GET", "users?login=%5Egone%24", "admin-token")
    const goneId = (gone.body as Array<{ id: string }>)[0]!.id
    expect((await call("PATCH", `users/${goneId}`, "admin-token", { disabled: true })).status).toBe(200)
    const disabled = await signIn("gone", "gone's password", "10.0.2.3")
    expect(unknown.status).toBe(401)
    expect([wrong.status, wrong.raw]).toEqual([unknown.status, unknown.raw])
    expect([disabled.status, disabled.raw]).toEqual([unknown.status, unknown.raw])
  })

  it("a body without a password, or with an empty login, is a 400", async () => {
    const missing = await app.inject({ method: "POST", url: "/api/v1/login", payload: { login: "Alice" }, remoteAddress: "10.0.2.9" })
    const empty = await app.inject({ method: "POST", url: "/api/v1/login", payload: { login: "", password: "x" }, remoteAddress: "10.0.2.9" })
    expect([missing.statusCode, empty.statusCode]).toEqual([400, 400])
  })
})

describe("POST /api/v1/logout", () => {
  it("revokes the bearer token at once: 204, then 403 for that token, other tokens unaffected", async () => {
    const session = await signIn("bob", "bob's password", "10.0.3.1")
    const token = String(session.body.token)
    expect((await call("GET", "users/whoami", token)).status).toBe(200)
    expect((await call("POST", "logout", token)).status).toBe(204)
    expect((await call("GET", "users/whoami", token)).status).toBe(403)
    expect((await call("POST", "logout", token)).status).toBe(403)
    expect((await call("GET", "users/whoami", "bob-token")).status).toBe(200)
  })

  it("without an Authorization header it is a 400, with an unknown token a 403", async () => {
    expect((await call("POST", "logout", undefined)).status).toBe(400)
    expect((await call("POST", "logout", "no-such-token")).status).toBe(403)
  })
})

describe("brute-force slowing", () => {
  // A throttle on a hand-moved clock, on an app holding only the session routes.
  const throttledApp = async () => {
    let now = 1_700_000_000_000
    const throttle = new SignInThrottle({ freeFailures: 3, baseDelayMillis: 2_000, maxDelayMillis: 900_000, now: () => now })
    const local = Fastify({ logger: false })
    installErrorHandler(local, context)
    await local.register(sessionRoutes(context, throttle), { prefix: "/api/v1" })
    const attempt = async (login: string, password: string, remoteAddress: string) => {
      const response = await local.inject({ method: "POST", url: "/api/v1/login", payload: { login, password }, remoteAddress })
      return { status: response.statusCode, retryAfter: response.headers["retry-after"], body: response.json() as Record<string, unknown> }
    }
    return { local, attempt, advance: (millis: number) => (now += millis) }
  }

  it("after a few failures on one login, further attempts get 429 with a Retry-After that doubles, even with the right password; a success then resets", async () => {
    const { local, attempt, advance } = await throttledApp()
    for (let index = 0; index < 3; index++) expect((await attempt("alice", "wrong", `10.1.0.${index}`)).status).toBe(401)
    expect((await attempt("alice", "wrong", "10.1.0.9")).status).toBe(401)
    const refused = await attempt("alice", "alice's password", "10.1.1.1")
    expect(refused.status).toBe(429)
    expect(refused.retryAfter).toBe("2")
    expect(Object.keys(refused.body).sort()).toEqual(["details", "message"])
    advance(2_000)
    expect((await attempt("alice", "wrong", "10.1.1.2")).status).toBe(401)
    expect((await attempt("alice", "alice's password", "10.1.1.3")).retryAfter).toBe("4")
    advance(4_000)
    expect((await attempt("alice", "alice's password", "10.1.1.4")).status).toBe(200)
    // Reset: three failures are free again.
    for (let index = 0; index < 3; index++) expect((await attempt("alice", "wrong", "10.1.2.1")).status).toBe(401)
    await local.close()
  })

  it("many logins tried from one address are slowed for that address only", async () => {
    const { local, attempt } = await throttledApp()
    for (let index = 0; index < 4; index++) expect((await attempt(`spray-${index}`, "guess", "10.2.0.1")).status).toBe(401)
    const refused = await attempt("bob", "bob's password", "10.2.0.1")
    expect(refused.status).toBe(429)
    expect(Number(refused.retryAfter)).toBeGreaterThan(0)
    expect((await attempt("bob", "bob's password", "10.2.0.2")).status).toBe(200)
    await local.close()
  })

  it("the delay is capped at 15 minutes", async () => {
    const { local, attempt, advance } = await throttledApp()
    for (let index = 0; index < 30; index++) {
      const result = await attempt("nobody-at-all", "guess", "10.3.0.1")
      if (result.status === 429) advance(Number(result.retryAfter) * 1000)
      else expect(result.status).toBe(401)
    }
    const refused = await attempt("nobody-at-all", "guess", "10.3.0.1")
    expect(refused.status).toBe(429)
    expect(Number(refused.retryAfter)).toBe(900)
    await local.close()
  })
})

describe("audit of sign-in", () => {
  it("login success, login failure and logout are type 4 events of the main tenant, invisible to a tenant-B user", async () => {
    const session = await signIn("bob", "bob's password", "10.4.0.1")
    expect((await signIn("bob", "guess-4711", "10.4.0.2")).status).toBe(401)
    expect((await call("POST", "logout", String(session.body.token))).status).toBe(204)
    const now = Date.now()
    const search = { period: { from: new Date(now - 3_600_000).toISOString(), to: new Date(now + 3_600_000).toISOString() }, sql: "SELECT * FROM events WHERE Type = 4" }
    const asAdmin = await call("POST", "events", "admin-token", search)
    expect(asAdmin.status).toBe(200)
    const bobs = (asAdmin.body as Array<Record<string, unknown>>).filter((event) => event.SourceUserName === "bob")
    const actions = bobs.map((event) => event.Name)
    for (const action of ["user login success", "user login failure", "user logout"]) expect(actions, action).toContain(action)
    for (const event of bobs) expect(event).toMatchObject({ TenantID: "main", Type: 4 })
    expect(bobs.find((event) => event.Name === "user login failure")!.Extra).toMatchObject({ login: "bob", reason: "wrong password", clientAddress: "10.4.0.2" })
    expect(JSON.stringify(bobs)).not.toMatch(/guess-4711|bob's password/)
    const asTenantB = await call("POST", "events", "bob-token", search)
    expect(asTenantB).toEqual({ status: 200, body: [] })
  })
})
