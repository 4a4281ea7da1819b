// /api/v1/correlators through the real routes on the embedded stores and the in-memory
// CorrelatorControl: listing with KUMA's filters, reading a correlator's document (YAML that
// decodes back to the same spec), validating in the deploy's own words, deploying a new revision
// (audited), and a user of one tenant never sees or changes another tenant's correlator.
import { Effect, Schema } from "effect"
import { parse as parseYaml } from "yaml"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { TenantId } from "../../model/Ids.ts"
import { CorrelatorSpec } from "../../model/Rule.ts"
import { embeddedGatewayApp, provisionUsers } from "../../test/support/gatewayUsers.ts"
import { decodeCorrelatorDocument, makeMemory, specJsonOf } from "../CorrelatorControl.ts"

const Alpha = TenantId.make("alpha")
const Beta = TenantId.make("beta")
const tenants = [
  { id: TenantId.make("main"), name: "Main", main: true },
  { id: TenantId.make("shared"), name: "Shared", main: false },
  { id: Alpha, name: "Alpha", main: false },
  { id: Beta, name: "Beta", main: false }
]

const specJson = (id: string, tenantId: string, name: string, extra: Record<string, unknown> = {}) => ({
  id,
  tenantId,
  name,
  sources: [{ tenantId }],
  rules: [
    {
      kind: "standard",
      id: "brute-force",
      name: "Brute force",
      selectors: [{ filter: { field: "EventOutcome", op: "=", value: "failure" }, threshold: 5 }],
      identicalFields: ["SourceAddress"],
      windowSeconds: 60
    },
    { kind: "simple", id: "every-failure", name: "Every failure", selector: { filter: { field: "EventOutcome", op: "=", value: "failure" } } }
  ],
  ...extra
})
const spec = (id: string, tenantId: string, name: string) => Schema.decodeUnknownSync(CorrelatorSpec)(specJson(id, tenantId, name))

const control = makeMemory([
  { spec: spec("a-correlator", Alpha, "Alpha logons"), partitions: 4 },
  { spec: spec("a-second", Alpha, "Alpha network") },
  { spec: spec("b-correlator", Beta, "Beta logons") }
])
const { runtime, app } = await embeddedGatewayApp(tenants, { correlatorControl: control })

const call = async (token: string, method: "GET" | "POST" | "PUT", url: string, payload?: Record<string, unknown>) => {
  const response = await app.inject({ method, url: `/api/v1${url}`, headers: { authorization: `Bearer ${token}` }, ...(payload !== undefined ? { payload } : {}) })
  return { status: response.statusCode, body: response.body === "" ? undefined : (response.json() as Record<string, unknown>), text: response.body }
}

const auditEvents = async () => {
  const now = Date.now()
  const result = await call("root", "POST", "/events", {
    period: { from: new Date(now - 3_600_000).toISOString(), to: new Date(now + 3_600_000).toISOString() },
    sql: "SELECT * FROM events WHERE Type = 4"
  })
  expect(result.status).toBe(200)
  return result.body as unknown as Array<Record<string, unknown>>
}

const jsonDocument = (value: unknown) => ({ document: JSON.stringify(value), format: "json" })

beforeAll(async () => {
  await runtime.runPromise(
    provisionUsers([
      { login: "root", token: "root", roles: [["main", "general-administrator"]] },
      { login: "alpha-t2", token: "alpha-t2", roles: [["alpha", "tier-2-analyst"]] },
      { login: "alpha-junior", token: "alpha-junior", roles: [["alpha", "junior-analyst"]] },
      { login: "beta-admin", token: "beta-admin", roles: [["beta", "tenant-administrator"]] },
      { login: "both", token: "both", roles: [["alpha", "tier-2-analyst"], ["beta", "tier-1-analyst"]] }
    ])
  )
})

afterAll(async () => {
  await app.close()
  await runtime.dispose()
})

describe("GET /correlators", () => {
  it("lists the caller's tenants' correlators with tenant name, revision, rules, partitions and active lists, and nothing of another tenant", async () => {
    const answer = await call("alpha-junior", "GET", "/correlators")
    expect(answer.status).toBe(200)
    expect(answer.body).toEqual([
      {
        id: "a-correlator",
        tenantID: Alpha,
        tenantName: "Alpha",
        name: "Alpha logons",
        revision: 1,
        rules: [
          { id: "brute-force", name: "Brute force", kind: "standard" },
          { id: "every-failure", name: "Every failure", kind: "simple" }
        ],
        partitions: 4,
        activeLists: []
      },
      expect.objectContaining({ id: "a-second", tenantID: Alpha, partitions: 1 })
    ])
    expect(answer.text).not.toContain("beta")
    expect(answer.text.toLowerCase()).not.toContain("b-correlator")
  })

  it("filters by id, tenantID and a case-insensitive name pattern; another tenant's id or tenant finds nothing; a bad pattern is a 400", async () => {
    const ids = async (token: string, query: string) => ((await call(token, "GET", `/correlators${query}`)).body as unknown as Array<{ id: string }>).map((item) => item.id)
    expect(await ids("alpha-t2", "?id=a-second")).toEqual(["a-second"])
    expect(await ids("alpha-t2", "?name=NETWORK")).toEqual(["a-second"])
    expect(await ids("alpha-t2", "?id=b-correlator")).toEqual([])
    expect(await ids("alpha-t2", `?tenantID=${Beta}`)).toEqual([])
    expect(await ids("root", `?tenantID=${Beta}`)).toEqual(["b-correlator"])
    expect(await ids("both", "?name=logons")).toEqual(["a-correlator", "b-correlator"])
    expect(await ids("root", "?page=2")).toEqual([])
    const bad = await call("root", "GET", "/correlators?name=(")
    expect(bad.status).toBe(400)
    expect(bad.body).toMatchObject({ message: "invalid name pattern" })
  })
})

describe("GET /correlators/{id}", () => {
  it("answers the document as YAML that decodes to the running spec, and the same spec as JSON", async () => {
    const answer = await call("alpha-junior", "GET", "/correlators/a-correlator")
    expect(answer.status).toBe(200)
    const body = answer.body as { document: string; spec: unknown; revision: number; tenantName: string }
    expect(body).toMatchObject({ id: "a-correlator", tenantID: Alpha, tenantName: "Alpha", name: "Alpha logons", revision: 1, partitions: 4 })
    const running = spec("a-correlator", Alpha, "Alpha logons")
    expect(body.spec).toEqual(specJsonOf(running))
    expect(parseYaml(body.document)).toEqual(specJsonOf(running))
    const decoded = await Effect.runPromise(decodeCorrelatorDocument({ document: body.document, format: "yaml" }))
    expect(specJsonOf(decoded)).toEqual(specJsonOf(running))
  })

  it("another tenant's correlator answers exactly like a missing one", async () => {
    const foreign = await call("alpha-t2", "GET", "/correlators/b-correlator")
    const missing = await call("alpha-t2", "GET", "/correlators/no-such-correlator")
    expect(foreign.status).toBe(404)
    expect(foreign.text).toBe(missing.text)
    expect(foreign.body).toEqual({ message: "correlator not found", details: "" })
  })
})

describe("POST /correlators/{id}/validate", () => {
  it("a valid document answers valid with its rule count and stores nothing", async () => {
    const answer = await call("alpha-junior", "POST", "/correlators/a-second/validate", jsonDocument(specJson("a-second", Alpha, "Alpha network v2")))
    expect(answer.status).toBe(200)
    expect(answer.body).toEqual({ valid: true, rules: 2, revision: 1 })
    expect(control.revisionOf("a-second")).toBe(1)
  })

  it("a broken document answers 400 with the deploy's own words naming the bad field, and PUT answers the very same body", async () => {
    const broken = specJson("a-second", Alpha, "Alpha network", {})
    ;(broken.rules[0] as Record<string, unknown>).windowSeconds = "sixty"
    const expected = await Effect.runPromise(Effect.flip(decodeCorrelatorDocument({ document: JSON.stringify(broken), format: "json" })))
    const validated = await call("alpha-t2", "POST", "/correlators/a-second/validate", jsonDocument(broken))
    expect(validated.status).toBe(400)
    expect(validated.body).toEqual({ message: "invalid correlator document", details: expected.message })
    expect(String(validated.body?.details)).toContain("windowSeconds")
    const put = await call("alpha-t2", "PUT", "/correlators/a-second", jsonDocument(broken))
    expect(put.status).toBe(400)
    expect(put.text).toBe(validated.text)
    expect(control.revisionOf("a-second")).toBe(1)
  })

  it("YAML that does not parse answers 400 in the parser's words", async () => {
    const answer = await call("alpha-t2", "POST", "/correlators/a-second/validate", { document: "id: [unclosed", format: "yaml" })
    expect(answer.status).toBe(400)
    expect(answer.body).toMatchObject({ message: "invalid correlator document" })
    expect(String(answer.body?.details)).toMatch(/^document\.yaml: /)
  })

  it("a document naming another correlator than the path's answers 400, whether that one exists, is another tenant's or is unknown", async () => {
    const answers = await Promise.all(
      ["a-correlator", "b-correlator", "no-such-correlator"].map((id) => call("alpha-t2", "POST", "/correlators/a-second/validate", jsonDocument(specJson(id, Alpha, "renamed"))))
    )
    for (const answer of answers) {
      expect(answer.status).toBe(400)
      expect(answer.text).toBe(answers[0]!.text)
    }
    expect(answers[0]!.body).toEqual({ message: "correlator id mismatch", details: "the document must name correlator a-second (its id field)" })
  })

  it("a document moving the correlator to another tenant, or taking a tenant's events it did not, or sending to another tenant's correlator, is refused alike for known and unknown targets", async () => {
    const moved = await call("alpha-t2", "POST", "/correlators/a-second/validate", jsonDocument(specJson("a-second", Beta, "moved")))
    expect(moved.status).toBe(400)
    expect(moved.body).toMatchObject({ message: "correlator tenant cannot change" })

    const withSource = (tenantId: string) => jsonDocument(specJson("a-second", Alpha, "Alpha network", { sources: [{ tenantId: Alpha }, { tenantId }] }))
    const beta = await call("alpha-t2", "POST", "/correlators/a-second/validate", withSource(Beta))
    const unknown = await call("alpha-t2", "POST", "/correlators/a-second/validate", withSource("tenant-nobody"))
    expect(beta.status).toBe(400)
    expect(beta.body).toMatchObject({ message: "source not allowed" })
    expect(beta.text.replace(Beta, "X")).toBe(unknown.text.replace("tenant-nobody", "X"))

    const sendingTo = (target: string) => {
      const value = specJson("a-second", Alpha, "Alpha network")
      ;(value.rules[1] as Record<string, unknown>).actions = [{ trigger: "onEveryEvent", sendTo: [target] }]
      return jsonDocument(value)
    }
    const toBeta = await call("alpha-t2", "POST", "/correlators/a-second/validate", sendingTo("b-correlator"))
    const toNobody = await call("alpha-t2", "POST", "/correlators/a-second/validate", sendingTo("zz-correlator"))
    expect(toBeta.status).toBe(400)
    expect(toBeta.body).toMatchObject({ message: "destination not allowed" })
    expect(toBeta.text.replace("b-correlator", "X")).toBe(toNobody.text.replace("zz-correlator", "X"))
    // Its own tenant's correlator is a destination its analyst may add.
    expect((await call("alpha-t2", "POST", "/correlators/a-second/validate", sendingTo("a-correlator"))).status).toBe(200)
  })

  it("another tenant's correlator answers exactly like a missing one, before the document is looked at", async () => {
    const foreign = await call("alpha-t2", "POST", "/correlators/b-correlator/validate", jsonDocument(specJson("b-correlator", Beta, "x")))
    const missing = await call("alpha-t2", "POST", "/correlators/no-such-one/validate", jsonDocument(specJson("no-such-one", Beta, "x")))
    expect(foreign.status).toBe(404)
    expect(foreign.text).toBe(missing.text)
  })
})

describe("PUT /correlators/{id}", () => {
  it("deploys the document as the next revision, shows it on GET, audits 'resource updated', and an equal document stores nothing", async () => {
    const changed = specJson("a-correlator", Alpha, "Alpha logons v2")
    const put = await call("alpha-t2", "PUT", "/correlators/a-correlator", { document: JSON.stringify(changed), format: "json" })
    expect(put.status).toBe(200)
    expect(put.body).toEqual({ revision: 2, created: true })
    const read = await call("alpha-t2", "GET", "/correlators/a-correlator")
    expect(read.body).toMatchObject({ name: "Alpha logons v2", revision: 2 })
    // The YAML the console shows deploys unchanged.
    const again = await call("alpha-t2", "PUT", "/correlators/a-correlator", { document: (read.body as { document: string }).document, format: "yaml" })
    expect(again.body).toEqual({ revision: 2, created: false })
    const audit = (await auditEvents()).filter((event) => event.DeviceAction === "resource updated")
    expect(audit).toHaveLength(1)
    expect(JSON.stringify(audit[0])).toContain("alpha-t2")
    expect(JSON.stringify(audit[0])).toContain("a-correlator")
  })

  it("a junior analyst is refused with 403 and nothing is deployed", async () => {
    const before = control.revisionOf("a-second")
    const answer = await call("alpha-junior", "PUT", "/correlators/a-second", jsonDocument(specJson("a-second", Alpha, "junior edit")))
    expect(answer.status).toBe(403)
    expect(answer.body).toMatchObject({ message: "access denied" })
    expect(control.revisionOf("a-second")).toBe(before)
  })

  it("another tenant's correlator answers exactly like a missing one, also to a user with a read-only role there, and is not deployed", async () => {
    const before = control.revisionOf("b-correlator")
    const foreign = await call("alpha-t2", "PUT", "/correlators/b-correlator", jsonDocument(specJson("b-correlator", Beta, "taken over")))
    const missing = await call("alpha-t2", "PUT", "/correlators/no-such-one", jsonDocument(specJson("no-such-one", Beta, "taken over")))
    expect(foreign.status).toBe(404)
    expect(foreign.text).toBe(missing.text)
    // Tier 1 in beta may read the correlator, not change it.
    expect((await call("both", "PUT", "/correlators/b-correlator", jsonDocument(specJson("b-correlator", Beta, "taken over")))).status).toBe(403)
    expect(control.revisionOf("b-correlator")).toBe(before)
  })

  it("beta's administrator deploys beta's correlator", async () => {
    const answer = await call("beta-admin", "PUT", "/correlators/b-correlator", jsonDocument(specJson("b-correlator", Beta, "Beta logons v2")))
    expect(answer.body).toEqual({ revision: 2, created: true })
  })
})
