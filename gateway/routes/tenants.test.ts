// GET /api/v1/tenants through the real route (SPEC §7): only tenants the caller holds a role in,
// with KUMA's repeated id, name regex, main flag and paging.
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { TenantId } from "../../model/Ids.ts"
import type { Tenant } from "../../model/Tenant.ts"
import { embeddedGatewayApp, provisionUsers } from "../../test/support/gatewayUsers.ts"

const tenants: ReadonlyArray<Tenant> = [
  { id: TenantId.make("main"), name: "Main", main: true },
  { id: TenantId.make("shared"), name: "Shared", main: false },
  { id: TenantId.make("tenant-a"), name: "Acme Corp", main: false },
  { id: TenantId.make("tenant-b"), name: "Beta Bank", main: false, retentionDays: 30 }
]

const { runtime, app } = await embeddedGatewayApp(tenants)

const list = async (query: string, token: string) => {
  const response = await app.inject({ method: "GET", url: `/api/v1/tenants${query}`, headers: { authorization: `Bearer ${token}` } })
  return { status: response.statusCode, body: response.json() as unknown, raw: response.body }
}

beforeAll(async () => {
  await runtime.runPromise(
    provisionUsers([
      { login: "admin", token: "admin-token", roles: [["main", "general-administrator"]] },
      { login: "a-analyst", token: "a-token", roles: [["tenant-a", "junior-analyst"]] },
      { login: "ab-user", token: "ab-token", roles: [["tenant-a", "tier-1-analyst"], ["tenant-b", "tenant-administrator"]] }
    ])
  )
})
afterAll(async () => {
  await app.close()
  await runtime.dispose()
})

describe("GET /api/v1/tenants", () => {
  it("a general administrator sees every tenant with id, name and main, in directory order", async () => {
    const response = await list("", "admin-token")
    expect(response.status).toBe(200)
    expect(response.body).toEqual([
      { id: "main", name: "Main", main: true },
      { id: "shared", name: "Shared", main: false },
      { id: "tenant-a", name: "Acme Corp", main: false },
      { id: "tenant-b", name: "Beta Bank", main: false }
    ])
  })

  it("a tenant user sees only the tenants they hold a role in; asking for another tenant by id finds nothing", async () => {
    expect((await list("", "a-token")).body).toEqual([{ id: "tenant-a", name: "Acme Corp", main: false }])
    expect((await list("?id=tenant-b", "a-token")).body).toEqual([])
    expect((await list("?id=tenant-b&id=main", "a-token")).body).toEqual([])
    expect((await list("?name=beta", "a-token")).raw).toBe("[]")
    expect((await list("", "ab-token")).body).toEqual([
      { id: "tenant-a", name: "Acme Corp", main: false },
      { id: "tenant-b", name: "Beta Bank", main: false }
    ])
  })

  it("filters by repeated id, by name as a case-insensitive regex and by the main flag when present, and pages 250 at a time", async () => {
    expect(((await list("?id=tenant-a&id=tenant-b", "admin-token")).body as Array<{ id: string }>).map((tenant) => tenant.id)).toEqual(["tenant-a", "tenant-b"])
    expect(((await list("?name=%5Eb", "admin-token")).body as Array<{ id: string }>).map((tenant) => tenant.id)).toEqual(["tenant-b"])
    expect((await list("?main", "admin-token")).body).toEqual([{ id: "main", name: "Main", main: true }])
    expect((await list("?main", "ab-token")).body).toEqual([])
    expect((await list("?page=2", "admin-token")).body).toEqual([])
  })

  it("a bad regex is a 400 and a page below 1 is a 400, both with the KUMA error body", async () => {
    for (const query of ["?name=%5B", "?page=0"]) {
      const response = await list(query, "admin-token")
      expect(response.status, query).toBe(400)
      expect(Object.keys(response.body as object).sort(), query).toEqual(["details", "message"])
    }
  })
})
