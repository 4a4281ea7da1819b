// Users, roles and tokens through the real routes on the embedded stores (issue 7 point 2):
// whoami, listing with KUMA's filters, create and change within the tenants one administers,
// nobody changing their own roles, tokens shown once and revoked at once, a foreign user
// answering exactly as an unknown id, and each action audited as a type 4 event of the main tenant.
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { TenantId } from "../../model/Ids.ts"
import type { Tenant } from "../../model/Tenant.ts"
import { embeddedGatewayApp, provisionUsers, type TestUser } from "../../test/support/gatewayUsers.ts"

const tenants: ReadonlyArray<Tenant> = [
  { id: TenantId.make("main"), name: "Main", main: true },
  { id: TenantId.make("tenant-a"), name: "Tenant A", main: false },
  { id: TenantId.make("tenant-b"), name: "Tenant B", main: false }
]

const users: ReadonlyArray<TestUser> = [
  { login: "admin", token: "admin-token", roles: [["main", "general-administrator"]] },
  { login: "main-admin", token: "main-admin-token", roles: [["main", "tenant-administrator"]] },
  { login: "a-admin", token: "a-admin-token", roles: [["tenant-a", "tenant-administrator"]] },
  { login: "b-admin", token: "b-admin-token", roles: [["tenant-b", "tenant-administrator"]] },
  { login: "a-analyst", token: "a-analyst-token", roles: [["tenant-a", "tier-1-analyst"]] },
  { login: "a-junior", token: "a-junior-token", roles: [["tenant-a", "junior-analyst"]] },
  { login: "b-analyst", token: "b-analyst-token", roles: [["tenant-b", "tier-1-analyst"]] },
  { login: "ab-user", token: "ab-user-token", roles: [["tenant-a", "tier-1-analyst"], ["tenant-b", "tier-2-analyst"]] }
]

const { runtime, app } = await embeddedGatewayApp(tenants)

interface UserView {
  id: string
  login: string
  name: string
  email: string
  disabled: boolean
  createdAt: string
  updatedAt: string
  roles: Array<{ tenantID: string; tenantName: string; role: string }>
}

const call = async (method: "GET" | "POST" | "PATCH" | "DELETE", url: string, token: string, payload?: unknown) => {
  const response = await app.inject({ method, url: `/api/v1/${url}`, headers: { authorization: `Bearer ${token}` }, ...(payload !== undefined ? { payload: payload as object } : {}) })
  return { status: response.statusCode, body: response.body === "" ? undefined : (response.json() as unknown), raw: response.body }
}

const ids = new Map<string, string>()
const idOf = (login: string): string => ids.get(login)!
const UnknownId = "00000000-0000-4000-8000-000000000000"

const auditEvents = async (token: string) => {
  const now = Date.now()
  const response = await call("POST", "events", token, {
    period: { from: new Date(now - 3_600_000).toISOString(), to: new Date(now + 3_600_000).toISOString() },
    sql: "SELECT * FROM events WHERE Type = 4"
  })
  expect(response.status).toBe(200)
  return response.body as Array<Record<string, unknown>>
}

beforeAll(async () => {
  await runtime.runPromise(provisionUsers(users))
  const listed = await call("GET", "users", "admin-token")
  for (const user of listed.body as Array<UserView>) ids.set(user.login, user.id)
})
afterAll(async () => {
  await app.close()
  await runtime.dispose()
})

describe("GET /api/v1/users/whoami", () => {
  it("answers the caller's id, name, login, e-mail and tenants with the role held in each", async () => {
    const analyst = await call("GET", "users/whoami", "ab-user-token")
    expect(analyst.status).toBe(200)
    expect(analyst.body).toEqual({
      id: idOf("ab-user"),
      name: "ab-user",
      login: "ab-user",
      email: "",
      tenants: [
        { id: "tenant-a", name: "Tenant A", role: "tier-1-analyst" },
        { id: "tenant-b", name: "Tenant B", role: "tier-2-analyst" }
      ]
    })
  })

  it("a general administrator holds general administration in every tenant", async () => {
    const admin = await call("GET", "users/whoami", "admin-token")
    expect((admin.body as { tenants: unknown }).tenants).toEqual(tenants.map((tenant) => ({ id: tenant.id, name: tenant.name, role: "general-administrator" })))
  })
})

describe("GET /api/v1/users", () => {
  it("a general administrator lists every user, ordered by login", async () => {
    const listed = await call("GET", "users", "admin-token")
    expect(listed.status).toBe(200)
    const logins = (listed.body as Array<UserView>).map((user) => user.login)
    expect(logins).toEqual(expect.arrayContaining(users.map((user) => user.login)))
    expect(logins).toEqual([...logins].sort())
  })

  it("a tenant administrator lists only users of their tenant, and of a shared user only the role in their tenant", async () => {
    const listed = await call("GET", "users", "a-admin-token")
    const views = listed.body as Array<UserView>
    expect(views.map((user) => user.login).sort()).toEqual(["a-admin", "a-analyst", "a-junior", "ab-user"])
    expect(views.find((user) => user.login === "ab-user")!.roles).toEqual([{ tenantID: "tenant-a", tenantName: "Tenant A", role: "tier-1-analyst" }])
    expect(listed.raw).not.toContain("tenant-b")
    const foreign = await call("GET", "users?tenantID=tenant-b", "a-admin-token")
    expect(foreign).toMatchObject({ status: 200, body: [] })
    const byForeignId = await call("GET", `users?id=${idOf("b-analyst")}`, "a-admin-token")
    expect(byForeignId).toMatchObject({ status: 200, body: [] })
  })

  it("filters by repeated id and tenantID, by name and login as case-insensitive regexes, and pages 250 at a time", async () => {
    const byIds = await call("GET", `users?id=${idOf("a-analyst")}&id=${idOf("b-analyst")}`, "admin-token")
    expect((byIds.body as Array<UserView>).map((user) => user.login)).toEqual(["a-analyst", "b-analyst"])
    const byTenants = await call("GET", "users?tenantID=tenant-b&tenantID=main", "admin-token")
    expect((byTenants.body as Array<UserView>).map((user) => user.login)).toEqual(["ab-user", "admin", "b-admin", "b-analyst", "main-admin"])
    const byLogin = await call("GET", "users?login=%5EA-AN", "admin-token")
    expect((byLogin.body as Array<UserView>).map((user) => user.login)).toEqual(["a-analyst"])
    const byName = await call("GET", "users?name=JUNIOR", "admin-token")
    expect((byName.body as Array<UserView>).map((user) => user.login)).toEqual(["a-junior"])
    const secondPage = await call("GET", "users?page=2", "admin-token")
    expect(secondPage).toMatchObject({ status: 200, body: [] })
  })

  it("a bad regex is a 400 with the KUMA error body", async () => {
    for (const query of ["name=%5B", "login=(a"]) {
      const response = await call("GET", `users?${query}`, "admin-token")
      expect(response.status, query).toBe(400)
      expect(Object.keys(response.body as object).sort()).toEqual(["details", "message"])
    }
  })

  it("an analyst without an administrator's role may not list users", async () => {
    const response = await call("GET", "users", "a-analyst-token")
    expect(response.status).toBe(403)
  })
})

describe("GET /api/v1/users/{id}: a foreign user is an unknown id", () => {
  it("a tenant-A administrator asking for a tenant-B user gets exactly the unknown-id answer", async () => {
    const unknown = await call("GET", `users/${UnknownId}`, "a-admin-token")
    expect(unknown.status).toBe(404)
    for (const login of ["b-analyst", "b-admin", "admin", "main-admin"]) {
      const foreign = await call("GET", `users/${idOf(login)}`, "a-admin-token")
      expect({ status: foreign.status, raw: foreign.raw }, login).toEqual({ status: unknown.status, raw: unknown.raw })
    }
    const own = await call("GET", `users/${idOf("a-analyst")}`, "a-admin-token")
    expect(own.status).toBe(200)
    expect((own.body as UserView).login).toBe("a-analyst")
  })

  it("an analyst sees themselves but no one else, not even a colleague of their tenant", async () => {
    const self = await call("GET", `users/${idOf("a-analyst")}`, "a-analyst-token")
    expect(self.status).toBe(200)
    const unknown = await call("GET", `users/${UnknownId}`, "a-analyst-token")
    const colleague = await call("GET", `users/${idOf("a-junior")}`, "a-analyst-token")
    const foreign = await call("GET", `users/${idOf("b-analyst")}`, "a-analyst-token")
    expect([colleague.status, colleague.raw]).toEqual([unknown.status, unknown.raw])
    expect([foreign.status, foreign.raw]).toEqual([unknown.status, unknown.raw])
  })

  it("an id in upper case finds the same user; a malformed id is a 400", async () => {
    const upper = await call("GET", `users/${idOf("a-analyst").toUpperCase()}`, "a-admin-token")
    expect((upper.body as UserView).id).toBe(idOf("a-analyst"))
    expect((await call("GET", "users/not-a-uuid", "a-admin-token")).status).toBe(400)
  })
})

describe("POST /api/v1/users", () => {
  it("a tenant administrator creates a user in their tenant; the login is unique regardless of case (409)", async () => {
    const created = await call("POST", "users", "a-admin-token", {
      login: "Carol",
      name: "Carol C",
      email: "carol@example.org",
      password: "correct horse",
      roles: [{ tenantID: "tenant-a", role: "tier-2-analyst" }]
    })
    expect(created.status).toBe(201)
    const carol = created.body as UserView
    expect(carol).toMatchObject({ login: "Carol", name: "Carol C", email: "carol@example.org", disabled: false, roles: [{ tenantID: "tenant-a", tenantName: "Tenant A", role: "tier-2-analyst" }] })
    expect(created.raw).not.toMatch(/password|scrypt/i)
    expect((await call("GET", `users/${carol.id}`, "a-admin-token")).status).toBe(200)
    const conflict = await call("POST", "users", "b-admin-token", { login: "CAROL", password: "correct horse", roles: [{ tenantID: "tenant-b", role: "junior-analyst" }] })
    expect(conflict.status).toBe(409)
    expect((conflict.body as { message: string }).message).toBe("login already taken")
  })

  it("a tenant administrator may grant roles only in their tenants and never general administration", async () => {
    const foreign = await call("POST", "users", "a-admin-token", { login: "dave", password: "correct horse", roles: [{ tenantID: "tenant-b", role: "junior-analyst" }] })
    const unknownTenant = await call("POST", "users", "a-admin-token", { login: "dave", password: "correct horse", roles: [{ tenantID: "tenant-zz", role: "junior-analyst" }] })
    expect(foreign.status).toBe(403)
    expect(unknownTenant.status).toBe(403)
    expect((foreign.body as { message: string }).message).toBe((unknownTenant.body as { message: string }).message)
    const general = await call("POST", "users", "a-admin-token", { login: "dave", password: "correct horse", roles: [{ tenantID: "tenant-a", role: "general-administrator" }] })
    expect(general.status).toBe(403)
    const mainGeneral = await call("POST", "users", "main-admin-token", { login: "dave", password: "correct horse", roles: [{ tenantID: "main", role: "general-administrator" }] })
    expect(mainGeneral.status).toBe(403)
    const analyst = await call("POST", "users", "a-analyst-token", { login: "dave", password: "correct horse", roles: [{ tenantID: "tenant-a", role: "junior-analyst" }] })
    expect(analyst.status).toBe(403)
    expect((await call("GET", "users?login=%5Edave%24", "admin-token")).body).toEqual([])
  })

  it("a general administrator creates users in any tenant, general administrators included, but only in the main tenant", async () => {
    const created = await call("POST", "users", "admin-token", { login: "second-admin", password: "correct horse", roles: [{ tenantID: "main", role: "general-administrator" }] })
    expect(created.status).toBe(201)
    const elsewhere = await call("POST", "users", "admin-token", { login: "odd-admin", password: "correct horse", roles: [{ tenantID: "tenant-b", role: "general-administrator" }] })
    expect(elsewhere.status).toBe(400)
    const invalid = await call("POST", "users", "admin-token", { login: "x", password: "short", roles: [{ tenantID: "tenant-b", role: "junior-analyst" }] })
    expect(invalid.status).toBe(400)
  })
})

describe("PATCH /api/v1/users/{id}", () => {
  it("nobody changes their own roles, not even a general administrator (403 with a clear message)", async () => {
    for (const login of ["admin", "a-admin", "a-analyst"]) {
      const response = await call("PATCH", `users/${idOf(login)}`, `${login}-token`, { roles: [{ tenantID: "tenant-a", role: "tenant-administrator" }] })
      expect(response.status, login).toBe(403)
      expect((response.body as { message: string }).message, login).toBe("nobody may change their own roles")
    }
    const admin = await call("GET", "users/whoami", "admin-token")
    expect((admin.body as { tenants: Array<{ role: string }> }).tenants.every((tenant) => tenant.role === "general-administrator")).toBe(true)
  })

  it("a user changes their own name, e-mail and password, but not whether they are disabled", async () => {
    const renamed = await call("PATCH", `users/${idOf("a-junior")}`, "a-junior-token", { name: "June", email: "june@example.org", password: "another secret" })
    expect(renamed.status).toBe(200)
    expect(renamed.body).toMatchObject({ name: "June", email: "june@example.org" })
    const disabled = await call("PATCH", `users/${idOf("a-junior")}`, "a-junior-token", { disabled: true })
    expect(disabled.status).toBe(403)
  })

  it("a tenant administrator changes roles only in their tenant; roles elsewhere stay as they were", async () => {
    const changed = await call("PATCH", `users/${idOf("ab-user")}`, "a-admin-token", { roles: [{ tenantID: "tenant-a", role: "tier-2-analyst" }] })
    expect(changed.status).toBe(200)
    expect((changed.body as UserView).roles).toEqual([{ tenantID: "tenant-a", tenantName: "Tenant A", role: "tier-2-analyst" }])
    const seenByAdmin = await call("GET", `users/${idOf("ab-user")}`, "admin-token")
    expect((seenByAdmin.body as UserView).roles.map((held) => [held.tenantID, held.role]).sort()).toEqual([
      ["tenant-a", "tier-2-analyst"],
      ["tenant-b", "tier-2-analyst"]
    ])
    const grantForeign = await call("PATCH", `users/${idOf("ab-user")}`, "a-admin-token", { roles: [{ tenantID: "tenant-b", role: "junior-analyst" }] })
    expect(grantForeign.status).toBe(403)
  })

  it("a tenant administrator may not change the account of a user who also belongs to a tenant they do not administer", async () => {
    const password = await call("PATCH", `users/${idOf("ab-user")}`, "a-admin-token", { password: "taken over" })
    expect(password.status).toBe(403)
    const own = await call("PATCH", `users/${idOf("a-analyst")}`, "a-admin-token", { name: "Alice A" })
    expect(own.status).toBe(200)
    expect((own.body as UserView).name).toBe("Alice A")
  })

  it("a main-tenant administrator may not change a general administrator", async () => {
    const demote = await call("PATCH", `users/${idOf("admin")}`, "main-admin-token", { roles: [{ tenantID: "main", role: "junior-analyst" }] })
    const password = await call("PATCH", `users/${idOf("admin")}`, "main-admin-token", { password: "taken over" })
    expect(demote.status).toBe(403)
    expect(password.status).toBe(403)
  })

  it("changing a tenant-B user as tenant-A administrator answers exactly as an unknown id, and changes nothing", async () => {
    const unknown = await call("PATCH", `users/${UnknownId}`, "a-admin-token", { name: "x" })
    const foreign = await call("PATCH", `users/${idOf("b-analyst")}`, "a-admin-token", { name: "x" })
    expect(unknown.status).toBe(404)
    expect([foreign.status, foreign.raw]).toEqual([unknown.status, unknown.raw])
    expect(((await call("GET", `users/${idOf("b-analyst")}`, "admin-token")).body as UserView).name).toBe("b-analyst")
  })

  it("a login taken by another user regardless of case is a 409", async () => {
    const response = await call("PATCH", `users/${idOf("a-analyst")}`, "a-admin-token", { login: "A-ADMIN" })
    expect(response.status).toBe(409)
  })

  it("a disabled user's tokens stop working at once", async () => {
    await runtime.runPromise(provisionUsers([{ login: "a-temp", token: "a-temp-token", roles: [["tenant-a", "junior-analyst"]] }]))
    expect((await call("GET", "users/whoami", "a-temp-token")).status).toBe(200)
    const listed = await call("GET", "users?login=%5Ea-temp%24", "a-admin-token")
    const temp = (listed.body as Array<UserView>)[0]!
    expect((await call("PATCH", `users/${temp.id}`, "a-admin-token", { disabled: true })).status).toBe(200)
    expect((await call("GET", "users/whoami", "a-temp-token")).status).toBe(403)
  })
})

describe("API tokens", () => {
  it("a user creates their own token, sees it once, lists it without its secret, and a revocation holds at the next request", async () => {
    const created = await call("POST", `users/${idOf("a-analyst")}/tokens`, "a-analyst-token", { description: "CI pipeline", expiresInDays: 30 })
    expect(created.status).toBe(201)
    const { id, token } = created.body as { id: string; token: string }
    expect(token.length).toBeGreaterThanOrEqual(40)
    expect((await call("GET", "users/whoami", token)).status).toBe(200)
    const listed = await call("GET", `users/${idOf("a-analyst")}/tokens`, "a-analyst-token")
    expect(listed.status).toBe(200)
    const entry = (listed.body as Array<Record<string, unknown>>).find((item) => item.id === id)!
    expect(entry).toMatchObject({ id, description: "CI pipeline" })
    expect(Date.parse(String(entry.expiresAt)) - Date.parse(String(entry.createdAt))).toBe(30 * 86_400_000)
    expect(listed.raw).not.toContain(token)
    expect(listed.raw).not.toMatch(/digest/)
    const revoked = await call("DELETE", `users/${idOf("a-analyst")}/tokens/${id}`, "a-analyst-token")
    expect(revoked.status).toBe(204)
    expect((await call("GET", "users/whoami", token)).status).toBe(403)
    const again = await call("GET", `users/${idOf("a-analyst")}/tokens`, "a-analyst-token")
    expect((again.body as Array<Record<string, unknown>>).find((item) => item.id === id)!.revokedAt).toBeDefined()
    expect((await call("DELETE", `users/${idOf("a-analyst")}/tokens/${UnknownId}`, "a-analyst-token")).status).toBe(404)
  })

  it("an administrator manages the tokens of users they administer, not of users in other tenants", async () => {
    const created = await call("POST", `users/${idOf("a-junior")}/tokens`, "a-admin-token", { description: "for June" })
    expect(created.status).toBe(201)
    const { id } = created.body as { id: string }
    expect((await call("DELETE", `users/${idOf("a-junior")}/tokens/${id}`, "a-admin-token")).status).toBe(204)
    const unknown = await call("GET", `users/${UnknownId}/tokens`, "a-admin-token")
    const foreign = await call("GET", `users/${idOf("b-analyst")}/tokens`, "a-admin-token")
    expect(unknown.status).toBe(404)
    expect([foreign.status, foreign.raw]).toEqual([unknown.status, unknown.raw])
    const foreignCreate = await call("POST", `users/${idOf("b-analyst")}/tokens`, "a-admin-token", { description: "x" })
    expect([foreignCreate.status, foreignCreate.raw]).toEqual([unknown.status, unknown.raw])
    // A user of tenants A and B: tenant A's administrator may not mint a token that opens B.
    expect((await call("POST", `users/${idOf("ab-user")}/tokens`, "a-admin-token", { description: "x" })).status).toBe(403)
  })

  it("an analyst may not handle a colleague's tokens: the colleague reads as unknown", async () => {
    const unknown = await call("GET", `users/${UnknownId}/tokens`, "a-analyst-token")
    const colleague = await call("GET", `users/${idOf("a-junior")}/tokens`, "a-analyst-token")
    expect([colleague.status, colleague.raw]).toEqual([unknown.status, unknown.raw])
  })
})

describe("audit of user actions", () => {
  it("user created, login, role, password, token and other data changes are type 4 events of the main tenant, invisible to a tenant-B user", async () => {
    const created = await call("POST", "users", "admin-token", { login: "audited", password: "correct horse", roles: [{ tenantID: "tenant-b", role: "junior-analyst" }] })
    const id = (created.body as UserView).id
    expect((await call("PATCH", `users/${id}`, "admin-token", { roles: [{ tenantID: "tenant-b", role: "tier-1-analyst" }] })).status).toBe(200)
    expect((await call("PATCH", `users/${id}`, "admin-token", { password: "another secret" })).status).toBe(200)
    expect((await call("PATCH", `users/${id}`, "admin-token", { email: "audited@example.org" })).status).toBe(200)
    expect((await call("PATCH", `users/${id}`, "admin-token", { login: "audited-renamed" })).status).toBe(200)
    const token = await call("POST", `users/${id}/tokens`, "admin-token", { description: "audit" })
    expect((await call("DELETE", `users/${id}/tokens/${(token.body as { id: string }).id}`, "admin-token")).status).toBe(204)

    const events = (await auditEvents("admin-token")).filter((event) => (event.Extra as Record<string, string> | undefined)?.userID === id)
    const actions = events.map((event) => event.Name)
    for (const action of ["user created", "user role changed", "user password changed", "user data changed", "user login changed", "user token changed"]) {
      expect(actions, action).toContain(action)
    }
    expect(events.filter((event) => event.Name === "user token changed").map((event) => (event.Extra as Record<string, string>).change).sort()).toEqual(["created", "revoked"])
    for (const event of events) expect(event).toMatchObject({ TenantID: "main", Type: 4, SourceUserName: "admin" })
    expect(JSON.stringify(events)).not.toMatch(/another secret|correct horse|scrypt/)

    expect(await auditEvents("b-analyst-token")).toEqual([])
    expect(await auditEvents("b-admin-token")).toEqual([])
  })
})
