// Cross-tenant isolation of every REST operation (issue 7, point 6; SPEC §1): users of tenant A
// name tenant B's objects by every kind of id (path, query, body) and get exactly the answer a
// missing object gets; no list, search, count or error shows anything of B; no write touches B.
// The served OpenAPI document decides what "every operation" is: one added later fails the
// coverage test until it is probed here or excluded with a reason.
import { Effect, Option, Schema } from "effect"
import { randomBytes, randomUUID } from "node:crypto"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { Alert } from "../../model/Alert.ts"
import { openAlert, withAffected } from "../../model/AlertLifecycle.ts"
import type { NormalizedEvent } from "../../model/Event.ts"
import { MatchAll } from "../../model/Filter.ts"
import { CorrelatorId, TenantId } from "../../model/Ids.ts"
import type { IncidentId } from "../../model/IncidentId.ts"
import { ResourceFileId, ResourceId, type Resource } from "../../model/Resource.ts"
import type { ServiceId } from "../../model/Service.ts"
import type { UserId } from "../../model/User.ts"
import { AlertStore } from "../../storage/AlertStore.ts"
import { AssetCategoryStore } from "../../storage/AssetCategoryStore.ts"
import { AssetStore } from "../../storage/AssetStore.ts"
import { SettingsStore } from "../../storage/SettingsStore.ts"
import { EventStore } from "../../storage/EventStore.ts"
import { IncidentStore } from "../../storage/IncidentStore.ts"
import { ResourceFileStore } from "../../storage/ResourceFileStore.ts"
import { ResourceStore } from "../../storage/ResourceStore.ts"
import { ServiceStore } from "../../storage/ServiceStore.ts"
import { UserStore } from "../../storage/UserStore.ts"
import { activeListIdOf, makeMemory } from "../../gateway/ActiveListImporter.ts"
import { makeMemory as memoryRestarter } from "../../gateway/ServiceRestarter.ts"
import { makeMemory as memoryCorrelators, specJsonOf } from "../../gateway/CorrelatorControl.ts"
import { CorrelatorSpec } from "../../model/Rule.ts"
import type { ApiContext } from "../../gateway/ApiContext.ts"
import { buildApiServer } from "../../gateway/ApiServer.ts"
import { sealArchive } from "../../gateway/ResourceArchive.ts"
import { embeddedGatewayRuntime, provisionUsers } from "../support/gatewayUsers.ts"
import { makeEvent } from "../support/makeEvent.ts"
import { maskUuids, maskValue, operationMatcher, operationsOf, secretsIn, type OperationKey } from "./CrossTenantProbe.ts"

const Main = TenantId.make("main")
const TenantA = TenantId.make("tenant-a")
const TenantB = TenantId.make("tenant-b")
const TenantBName = "Bravo Holdings"
const tenants = [
  { id: Main, name: "Main", main: true },
  { id: TenantA, name: "Alpha Corp", main: false },
  { id: TenantB, name: TenantBName, main: false }
]

/**
 * Operations this suite does not probe, each with the reason. Anything else the OpenAPI document
 * lists must be exercised below, or the coverage test fails.
 */
const Excluded: ReadonlyMap<OperationKey, string> = new Map([
  // Revokes the very token it is called with and names no object: a caller of tenant A can only
  // end its own session, and another tenant's token is a credential A does not hold.
  ["POST /api/v1/logout", "acts only on the presented token; takes no id"]
])

// Every string of tenant B carries "bravo" (names, logins, FQDNs, rule names, list names), so one
// word finds most of B in any answer; B's ids, tenant id, name, address and MAC are added once seeded.
const Marker = "bravo"
const BAddress = "10.66.0.1"
const BMac = "02:42:ac:11:00:66"
const BFqdn = "bravo-host.b.example"
const BServiceId = "bravo-collector"
const BCorrelator = "bravo-correlator"
const BList = "bravo-list"
const BFilePassword = "secret-b-password"
const AFilePassword = "secret-a-password"

const Tokens = {
  general: "token-general-admin",
  alphaAdmin: "token-alpha-admin",
  alphaAnalyst: "token-alpha-t2",
  bravoAdmin: "token-bravo-admin",
  bravoAnalyst: "token-bravo-t2"
} as const
/** Tenant A's callers: every probe is asked by both. */
const Alpha = [Tokens.alphaAdmin, Tokens.alphaAnalyst] as const

const runtime = embeddedGatewayRuntime()
const activeLists = makeMemory([
  { id: "alpha-correlator", tenantID: TenantA, lists: ["alpha-list"] },
  { id: BCorrelator, tenantID: TenantB, lists: [BList] }
])
// Both tenants' collectors run, so a restart of B's would go through if the route let it.
const restarter = memoryRestarter([
  { id: "alpha-collector", tenantID: TenantA, node: "node-1" },
  { id: BServiceId, tenantID: TenantB, node: "node-1" }
])
// Both tenants' correlators run, so a deploy to B's would go through if the routes let it.
const correlatorJson = (id: string, tenantId: TenantId, name: string) => ({
  id,
  tenantId,
  name,
  sources: [{ tenantId }],
  rules: [{ kind: "simple", id: `${id}-rule`, name: `${name} rule`, selector: { filter: { field: "EventOutcome", op: "=", value: "failure" } } }]
})
const correlators = memoryCorrelators([
  { spec: Schema.decodeUnknownSync(CorrelatorSpec)(correlatorJson("alpha-correlator", TenantA, "alpha correlator")) },
  { spec: Schema.decodeUnknownSync(CorrelatorSpec)(correlatorJson(BCorrelator, TenantB, "bravo correlator")) }
])
const context: ApiContext = { run: (effect) => runtime.runPromiseExit(effect), tenants, logInternal: () => {}, activeListImporter: activeLists, serviceRestarter: restarter, correlatorControl: correlators }
const app = await buildApiServer(context)

// ---------------------------------------------------------------------------------------------
// Calling the API and recording which documented operation each call reached.

interface ApiRequest {
  readonly method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE"
  readonly url: string
  readonly payload?: unknown
  readonly contentType?: string
}

interface Answer {
  readonly status: number
  readonly text: string
}

let operations: Array<OperationKey> = []
let operationOf: (method: string, url: string) => OperationKey | undefined = () => undefined
const exercised = new Set<OperationKey>()

const call = async (token: string | undefined, request: ApiRequest): Promise<Answer> => {
  const url = `/api/v1${request.url}`
  const operation = operationOf(request.method, url)
  if (operation !== undefined) exercised.add(operation)
  const isRaw = typeof request.payload === "string" || Buffer.isBuffer(request.payload)
  const contentType = request.contentType ?? (request.payload !== undefined && !isRaw ? "application/json" : undefined)
  const response = await app.inject({
    method: request.method,
    url,
    headers: { ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}), ...(contentType !== undefined ? { "content-type": contentType } : {}) },
    ...(request.payload !== undefined ? { payload: isRaw ? (request.payload as string | Buffer) : JSON.stringify(request.payload) } : {})
  })
  return { status: response.statusCode, text: response.body }
}

const callJson = async <A>(token: string, request: ApiRequest, status = 200): Promise<A> => {
  const answer = await call(token, request)
  expect(answer.status, `${request.method} ${request.url}: ${answer.text}`).toBe(status)
  return (answer.text === "" ? undefined : JSON.parse(answer.text)) as A
}

// ---------------------------------------------------------------------------------------------
// Tenant B's objects (and a few of A's to aim at), seeded through the API as B's users or
// through the stores.

const period = { from: new Date(Date.now() - 2 * 3_600_000).toISOString(), to: new Date(Date.now() + 2 * 3_600_000).toISOString() }

interface Seeded {
  readonly users: { readonly bravoAdmin: UserId; readonly bravoAnalyst: UserId; readonly alphaAdmin: UserId; readonly alphaAnalyst: UserId; readonly crossover: UserId }
  readonly bravoTokenIds: ReadonlyArray<string>
  readonly bravoEvents: ReadonlyArray<NormalizedEvent>
  readonly bravoAlerts: { readonly linked: Alert; readonly free: Alert }
  readonly alphaAlert: Alert
  readonly bravoIncidents: { readonly withAlert: string; readonly other: string }
  readonly alphaIncident: string
  readonly bravoAsset: string
  readonly bravoResource: ResourceId
  readonly alphaResource: ResourceId
  readonly bravoFile: string
  readonly alphaFile: string
  readonly bravoListId: string
  readonly bravoCategories: { readonly parent: string; readonly child: string }
}
let seeded: Seeded
let secretsOfB: Array<string> = []
let snapshotBefore: unknown

const userIdOf = async (login: string): Promise<UserId> => {
  const user = await runtime.runPromise(Effect.flatMap(UserStore, (store) => store.getUserByLogin(login)))
  if (Option.isNone(user)) throw new Error(`user ${login} was not provisioned`)
  return user.value.id
}

const alertFrom = async (event: NormalizedEvent, ruleId: string): Promise<Alert> => {
  const alert = withAffected(openAlert(event, { correlatorId: CorrelatorId.make(ruleId === "bravo-rule" ? BCorrelator : "alpha-correlator"), ruleId, groupKey: randomUUID() }, Date.now()), event)
  await runtime.runPromise(Effect.flatMap(AlertStore, (store) => store.create(alert)))
  return alert
}

const resourceOf = (tenantID: TenantId, name: string, userID: UserId): Resource => ({
  id: ResourceId.make(randomUUID()),
  tenantID,
  kind: "correlationRule",
  name,
  userID,
  description: `${name} description`,
  version: 1,
  createdAt: Date.now(),
  updatedAt: Date.now(),
  body: { rule: name }
})

/** Every object of tenant B as the stores hold it: compared before and after A's writes. */
const snapshotOfB = () =>
  runtime.runPromise(
    Effect.gen(function* () {
      const alerts = yield* AlertStore
      const incidents = yield* IncidentStore
      const assets = yield* AssetStore
      const services = yield* ServiceStore
      const resources = yield* ResourceStore
      const files = yield* ResourceFileStore
      const users = yield* UserStore
      const events = yield* EventStore
      return {
        // Every stored event of B, whatever its age: a partition deleted for A must not take any of them.
        events: (yield* events.search({ tenantIds: [TenantB], from: 0, to: Date.now() + 86_400_000, filter: MatchAll, order: "asc", limit: 10_000 })).map((event) => event.ID).sort(),
        alerts: [yield* alerts.get(TenantB, seeded.bravoAlerts.linked.id), yield* alerts.get(TenantB, seeded.bravoAlerts.free.id)],
        incidents: [yield* incidents.get(TenantB, seeded.bravoIncidents.withAlert as IncidentId), yield* incidents.get(TenantB, seeded.bravoIncidents.other as IncidentId)],
        assets: yield* assets.list({ tenantIds: [TenantB], ids: [], page: 1, pageSize: 250 }),
        service: yield* services.get(TenantB, BServiceId as ServiceId),
        resources: yield* resources.list({ tenantIds: [TenantB], ids: [], kinds: [], page: 1, pageSize: 250 }),
        file: yield* files.get(ResourceFileId.make(seeded.bravoFile)),
        users: [yield* users.getUser(seeded.users.bravoAdmin), yield* users.getUser(seeded.users.bravoAnalyst), yield* users.getUser(seeded.users.crossover)],
        tokens: [yield* users.tokensOfUser(seeded.users.bravoAdmin), yield* users.tokensOfUser(seeded.users.bravoAnalyst)],
        list: Object.fromEntries(activeLists.records(BCorrelator, BList)),
        correlator: Effect.runSync(Effect.map(correlators.get(BCorrelator), Option.map((view) => ({ revision: view.revision, spec: specJsonOf(view.spec) })))),
        categories: yield* (yield* AssetCategoryStore).list({ tenantIds: [TenantB], ids: [], page: 1, pageSize: 250 }),
        settings: yield* (yield* SettingsStore).get(TenantB)
      }
    })
  )

const expectBUnchanged = async () => expect(await snapshotOfB()).toEqual(snapshotBefore)

beforeAll(async () => {
  const document = JSON.parse((await call(undefined, { method: "GET", url: "/openapi.json" })).text) as Parameters<typeof operationsOf>[0]
  operations = operationsOf(document)
  operationOf = operationMatcher(operations)

  await runtime.runPromise(
    provisionUsers([
      { login: "root", token: Tokens.general, roles: [[Main, "general-administrator"]] },
      { login: "alpha-admin", token: Tokens.alphaAdmin, roles: [[TenantA, "tenant-administrator"]] },
      { login: "alpha-t2", token: Tokens.alphaAnalyst, roles: [[TenantA, "tier-2-analyst"]] },
      { login: "bravo-admin", token: Tokens.bravoAdmin, roles: [[TenantB, "tenant-administrator"]], password: "bravo-admin-password" },
      { login: "bravo-t2", token: Tokens.bravoAnalyst, roles: [[TenantB, "tier-2-analyst"]] },
      // Holds roles in both tenants: A's administrator may see the user, never its role in B.
      { login: "crossover", token: "token-crossover", roles: [[TenantA, "tier-1-analyst"], [TenantB, "junior-analyst"]] }
    ])
  )
  const users = {
    bravoAdmin: await userIdOf("bravo-admin"),
    bravoAnalyst: await userIdOf("bravo-t2"),
    alphaAdmin: await userIdOf("alpha-admin"),
    alphaAnalyst: await userIdOf("alpha-t2"),
    crossover: await userIdOf("crossover")
  }

  // Events: B's base event and the correlation event its alert came from; one of A's.
  const at = Date.now() - 60_000
  const bravoBase = makeEvent({ TenantID: TenantB, Timestamp: at, Name: "bravo base event", Message: "bravo secret message", SourceUserName: "bravo-user", DestinationHostName: BFqdn, DestinationAddress: BAddress })
  const bravoCorrelation = makeEvent({
    TenantID: TenantB,
    Type: 2,
    Timestamp: at,
    Name: "bravo rule",
    CorrelationRuleID: "bravo-rule",
    CorrelationRuleName: "bravo rule",
    ServiceID: BCorrelator,
    BaseEventIDs: [bravoBase.ID],
    BaseEventCount: 1,
    SourceUserName: "bravo-user",
    DestinationHostName: BFqdn,
    Priority: 9
  })
  const bravoSecond = makeEvent({ TenantID: TenantB, Type: 2, Timestamp: at, Name: "bravo rule", CorrelationRuleName: "bravo rule", SourceUserName: "bravo-user" })
  const alphaBase = makeEvent({ TenantID: TenantA, Timestamp: at, Name: "alpha base event", Message: "alpha message", SourceUserName: "alice" })
  const alphaCorrelation = makeEvent({ TenantID: TenantA, Type: 2, Timestamp: at, Name: "alpha rule", CorrelationRuleName: "alpha rule", SourceUserName: "alice" })
  // Old events of both tenants (outside every search period below), for the storage partition probes.
  const bravoOld = makeEvent({ TenantID: TenantB, Timestamp: Date.now() - 3 * 86_400_000, Name: "bravo old event" })
  const alphaOld = makeEvent({ TenantID: TenantA, Timestamp: Date.now() - 3 * 86_400_000, Name: "alpha old event" })
  await runtime.runPromise(Effect.flatMap(EventStore, (store) => store.write([bravoBase, bravoCorrelation, bravoSecond, alphaBase, alphaCorrelation, bravoOld, alphaOld])))

  const bravoAlerts = { linked: await alertFrom(bravoCorrelation, "bravo-rule"), free: await alertFrom(bravoSecond, "bravo-rule") }
  const alphaAlert = await alertFrom(alphaCorrelation, "alpha-rule")

  // Incidents through the API: B's with its alert linked, a second of B's, and one of A's.
  const withAlert = (await callJson<{ id: string }>(Tokens.bravoAnalyst, { method: "POST", url: "/incidents", payload: { name: "bravo incident", description: "bravo details", assignee: "bravo-t2" } })).id
  await callJson(Tokens.bravoAnalyst, { method: "POST", url: `/incidents/${withAlert}/link`, payload: { alertIDs: [bravoAlerts.linked.id] } })
  const other = (await callJson<{ id: string }>(Tokens.bravoAnalyst, { method: "POST", url: "/incidents", payload: { name: "bravo second incident" } })).id
  const alphaIncident = (await callJson<{ id: string }>(Tokens.alphaAnalyst, { method: "POST", url: "/incidents", payload: { name: "alpha incident" } })).id

  // Asset categories (a parent and its child) and settings of B, through the API.
  const bravoParent = (await callJson<{ id: string }>(Tokens.bravoAnalyst, { method: "POST", url: "/assets/categories", payload: { tenantID: TenantB, name: "bravo servers", priority: "high" } }, 201)).id
  const bravoChild = (await callJson<{ id: string }>(Tokens.bravoAnalyst, { method: "POST", url: "/assets/categories", payload: { tenantID: TenantB, name: "bravo domain controllers", priority: "high", parentID: bravoParent } }, 201)).id
  await callJson(Tokens.alphaAnalyst, { method: "POST", url: "/assets/categories", payload: { tenantID: TenantA, name: "alpha servers", priority: "low" } }, 201)
  await callJson(Tokens.bravoAdmin, { method: "PUT", url: "/settings", payload: { tenantID: TenantB, incidents: { autoLink: { enabled: false, days: 42 } } } })

  // Assets through the API.
  const imported = await callJson<{ insertedIDs: Record<string, string> }>(Tokens.bravoAnalyst, {
    method: "POST",
    url: "/assets/import",
    payload: { tenantID: TenantB, assets: [{ name: "bravo-host", fqdn: BFqdn, ipAddresses: [BAddress], macAddresses: [BMac], owner: "bravo owner", os: "bravo os", categories: [bravoChild] }] }
  })
  await callJson(Tokens.alphaAnalyst, { method: "POST", url: "/assets/import", payload: { tenantID: TenantA, assets: [{ name: "alpha-host", fqdn: "alpha-host.a.example", ipAddresses: ["10.1.0.1"] }] } })

  // A service of each tenant, and resources, through the stores.
  const now = Date.now()
  const service = (id: string, tenantID: TenantId, name: string) => ({ id: id as ServiceId, tenantID, name, kind: "collector" as const, fqdn: `${id}.example`, paired: true, status: "green" as const, createdAt: now, updatedAt: now, config: { secret: name } })
  const bravoResource = resourceOf(TenantB, "bravo correlation rule", users.bravoAnalyst)
  const alphaResource = resourceOf(TenantA, "alpha correlation rule", users.alphaAnalyst)
  await runtime.runPromise(
    Effect.gen(function* () {
      const services = yield* ServiceStore
      yield* services.save(service(BServiceId, TenantB, "bravo collector"))
      yield* services.save(service("alpha-collector", TenantA, "alpha collector"))
      const resources = yield* ResourceStore
      yield* resources.save(bravoResource)
      yield* resources.save(alphaResource)
    })
  )

  // Exported resource files through the API, one per tenant.
  const bravoFile = (await callJson<{ fileID: string }>(Tokens.bravoAnalyst, { method: "POST", url: "/resources/export", payload: { ids: [bravoResource.id], password: BFilePassword, tenantID: TenantB } })).fileID
  const alphaFile = (await callJson<{ fileID: string }>(Tokens.alphaAnalyst, { method: "POST", url: "/resources/export", payload: { ids: [alphaResource.id], password: AFilePassword, tenantID: TenantA } })).fileID

  // B's active list holds a record; B's administrator makes a token for B's analyst.
  const imported204 = await call(Tokens.bravoAnalyst, { method: "POST", url: `/activeLists/import?correlatorID=${BCorrelator}&activeListName=${BList}&format=csv&keyField=key`, payload: "key,value\nbravo-key,bravo-value\n", contentType: "text/csv" })
  expect(imported204.status, imported204.text).toBe(204)
  await callJson(Tokens.bravoAdmin, { method: "POST", url: `/users/${users.bravoAnalyst}/tokens`, payload: { description: "bravo automation" } }, 201)
  const bravoTokenIds = (await runtime.runPromise(Effect.flatMap(UserStore, (store) => Effect.all([store.tokensOfUser(users.bravoAdmin), store.tokensOfUser(users.bravoAnalyst)])))).flat().map((token) => token.id as string)

  seeded = {
    users,
    bravoTokenIds,
    bravoEvents: [bravoBase, bravoCorrelation, bravoSecond],
    bravoAlerts,
    alphaAlert,
    bravoIncidents: { withAlert, other },
    alphaIncident,
    bravoAsset: imported.insertedIDs["0"]!,
    bravoResource: bravoResource.id,
    alphaResource: alphaResource.id,
    bravoFile,
    alphaFile,
    bravoListId: activeListIdOf(BCorrelator, BList),
    bravoCategories: { parent: bravoParent, child: bravoChild }
  }
  secretsOfB = [
    Marker,
    TenantB,
    TenantBName,
    BAddress,
    BMac,
    users.bravoAdmin,
    users.bravoAnalyst,
    ...bravoTokenIds,
    ...seeded.bravoEvents.map((event) => event.ID),
    bravoOld.ID,
    bravoAlerts.linked.id,
    bravoAlerts.free.id,
    withAlert,
    other,
    seeded.bravoAsset,
    bravoResource.id,
    bravoFile,
    seeded.bravoListId,
    bravoParent,
    bravoChild
  ]
  snapshotBefore = await snapshotOfB()
})

afterAll(async () => {
  await app.close()
  await runtime.dispose()
})

// ---------------------------------------------------------------------------------------------
// The two checks every test is built from.

const freshUuid = () => randomUUID()
const freshTenant = () => `tenant-${randomBytes(4).toString("hex")}`
const freshToken = (prefix: string) => () => `${prefix}-${randomBytes(5).toString("hex")}`

const isValidationFailure = (answer: Answer) => answer.status === 400 && answer.text.includes("\"invalid request\"")

/**
 * Asks as each caller with B's `foreign` value and with a fresh value of the same shape: same
 * status, same body once the asked value is masked, never a schema refusal (the handler must run),
 * and nothing of B in the answer.
 */
const expectAnsweredAsMissing = async (
  callers: ReadonlyArray<string | undefined>,
  foreign: string,
  fresh: () => string,
  request: (value: string) => ApiRequest
) => {
  for (const token of callers) {
    const missing = fresh()
    const theirs = await call(token, request(foreign))
    const nobodys = await call(token, request(missing))
    const label = `${request(foreign).method} ${request(foreign).url} as ${token ?? "anonymous"}: ${theirs.text}`
    expect(isValidationFailure(theirs), label).toBe(false)
    expect(theirs.status, label).toBe(nobodys.status)
    expect(maskValue(theirs.text, foreign), label).toBe(maskValue(nobodys.text, missing))
    expect(secretsIn(maskValue(theirs.text, foreign), secretsOfB), label).toEqual([])
  }
}

/** Asks as every caller of A: the answer holds nothing of B. */
const expectNothingOfB = async (request: ApiRequest, callers: ReadonlyArray<string> = Alpha) => {
  for (const token of callers) {
    const answer = await call(token, request)
    const label = `${request.method} ${request.url} as ${token}: ${answer.text.slice(0, 500)}`
    expect(answer.status, label).toBeLessThan(500)
    expect(isValidationFailure(answer), label).toBe(false)
    expect(secretsIn(answer.text, secretsOfB), label).toEqual([])
  }
}

/** B's own user finds `secret` with the same request: the seed is there, so its absence for A means something. */
const expectBSees = async (request: ApiRequest, secret: string, token: string = Tokens.bravoAdmin) => {
  const answer = await call(token, request)
  expect(answer.status, answer.text).toBe(200)
  expect(answer.text.toLowerCase(), `${request.method} ${request.url} as B`).toContain(secret.toLowerCase())
}

const get = (url: string): ApiRequest => ({ method: "GET", url })
const post = (url: string, payload?: unknown): ApiRequest => ({ method: "POST", url, ...(payload !== undefined ? { payload } : {}) })
const patch = (url: string, payload: unknown): ApiRequest => ({ method: "PATCH", url, payload })
const query = (value: string) => encodeURIComponent(value)

// ---------------------------------------------------------------------------------------------

describe("lists, searches and counts show tenant A's users nothing of tenant B", () => {
  it("GET alerts (with events and affected assets) lists none of B's alerts, even when asked for tenant-b, B's ids or B's rule name", async () => {
    await expectBSees(get(`/alerts?withEvents&withAffected`), seeded.bravoAlerts.linked.id)
    await expectBSees(get(`/alerts?tenantID=${TenantB}&name=bravo&withEvents`), seeded.bravoAlerts.free.id)
    for (const url of [`/alerts?withEvents&withAffected`, `/alerts?tenantID=${TenantB}&withEvents&withAffected`, `/alerts?tenantID=${TenantA}&tenantID=${TenantB}&withEvents`, `/alerts?name=bravo`, `/alerts?status=escalated&status=new`]) {
      await expectNothingOfB(get(url))
    }
    for (const alert of [seeded.bravoAlerts.linked, seeded.bravoAlerts.free]) {
      await expectAnsweredAsMissing(Alpha, alert.id, freshUuid, (id) => get(`/alerts?id=${id}&withEvents&withAffected`))
    }
  })

  it("GET incidents lists none of B's incidents, even when asked for tenant-b, B's ids or B's names", async () => {
    await expectBSees(get(`/incidents?tenantID=${TenantB}`), seeded.bravoIncidents.withAlert)
    for (const url of ["/incidents", `/incidents?tenantID=${TenantB}`, `/incidents?name=bravo`, `/incidents?status=open&status=assigned&status=closed`]) await expectNothingOfB(get(url))
    for (const id of [seeded.bravoIncidents.withAlert, seeded.bravoIncidents.other]) await expectAnsweredAsMissing(Alpha, id, freshUuid, (value) => get(`/incidents?id=${value}`))
  })

  it("GET assets lists none of B's assets by tenant, id, name, FQDN, IP or MAC", async () => {
    await expectBSees(get(`/assets?tenantID=${TenantB}&fqdn=bravo`), seeded.bravoAsset)
    for (const url of ["/assets", `/assets?tenantID=${TenantB}`, "/assets?name=bravo", "/assets?fqdn=bravo", `/assets?ip=${query("10\\.66")}`, `/assets?mac=${query("02:42:ac:11:00:66")}`]) await expectNothingOfB(get(url))
    await expectAnsweredAsMissing(Alpha, seeded.bravoAsset, freshUuid, (id) => get(`/assets?id=${id}`))
  })

  it("GET assets/categories lists none of B's categories by tenant, id or name", async () => {
    await expectBSees(get(`/assets/categories?tenantID=${TenantB}&name=bravo`), seeded.bravoCategories.child)
    for (const url of ["/assets/categories", `/assets/categories?tenantID=${TenantB}`, "/assets/categories?name=bravo", `/assets/categories?tenantID=${TenantA}&tenantID=${TenantB}&name=servers`]) await expectNothingOfB(get(url))
    for (const id of [seeded.bravoCategories.parent, seeded.bravoCategories.child]) await expectAnsweredAsMissing(Alpha, id, freshUuid, (value) => get(`/assets/categories?id=${value}`))
  })

  it("GET settings of tenant-b answers as for an unknown tenant", async () => {
    await expectBSees(get(`/settings?tenantID=${TenantB}`), "\"days\":42")
    await expectAnsweredAsMissing(Alpha, TenantB, freshTenant, (tenantID) => get(`/settings?tenantID=${tenantID}`))
    await expectNothingOfB(get(`/settings?tenantID=${TenantA}`))
  })

  it("GET services lists none of B's services by tenant, id, name, FQDN, kind or pairing", async () => {
    await expectBSees(get(`/services?tenantID=${TenantB}`), BServiceId)
    for (const url of ["/services", `/services?tenantID=${TenantB}`, "/services?name=bravo", "/services?fqdn=bravo", "/services?kind=collector&paired"]) await expectNothingOfB(get(url))
    await expectAnsweredAsMissing(Alpha, BServiceId, freshToken("collector"), (id) => get(`/services?id=${id}`))
  })

  it("GET resources lists none of B's resources by tenant, id, name or B's author", async () => {
    await expectBSees(get(`/resources?tenantID=${TenantB}`), seeded.bravoResource)
    for (const url of ["/resources", `/resources?tenantID=${TenantB}`, "/resources?name=bravo", "/resources?kind=correlationRule"]) await expectNothingOfB(get(url))
    await expectAnsweredAsMissing(Alpha, seeded.bravoResource, freshUuid, (id) => get(`/resources?id=${id}`))
    await expectAnsweredAsMissing(Alpha, seeded.users.bravoAnalyst, freshUuid, (id) => get(`/resources?userID=${id}`))
  })

  it("GET users lists neither B's users nor the B role of a user A shares with B; whoami names only A", async () => {
    await expectBSees(get(`/users?tenantID=${TenantB}`), seeded.users.bravoAnalyst)
    await expectBSees(get(`/users?login=crossover`), TenantB)
    for (const url of ["/users", `/users?tenantID=${TenantB}`, "/users?login=bravo", "/users?name=bravo", "/users?login=crossover", "/users/whoami"]) await expectNothingOfB(get(url))
    for (const id of [seeded.users.bravoAdmin, seeded.users.bravoAnalyst]) await expectAnsweredAsMissing(Alpha, id, freshUuid, (value) => get(`/users?id=${value}`))
  })

  it("GET tenants lists tenant A only, even when asked for tenant-b by id or name", async () => {
    await expectBSees(get(`/tenants`), TenantBName)
    for (const url of ["/tenants", "/tenants?name=bravo", "/tenants?main"]) await expectNothingOfB(get(url))
    await expectAnsweredAsMissing(Alpha, TenantB, freshTenant, (id) => get(`/tenants?id=${id}`))
  })

  it("GET events/clusters, GET cluster and GET activeLists of A's own correlator show nothing of B", async () => {
    for (const url of [
      "/events/clusters",
      "/cluster",
      "/activeLists?correlatorID=alpha-correlator",
      "/activeLists/records?correlatorID=alpha-correlator&activeListName=alpha-list",
      "/activeLists/records?correlatorID=alpha-correlator&activeListName=alpha-list&key=bravo",
      "/activeLists/export?correlatorID=alpha-correlator&activeListName=alpha-list&format=csv",
      "/activeLists/export?correlatorID=alpha-correlator&activeListName=alpha-list&format=internal"
    ]) {
      await expectNothingOfB(get(url))
    }
    await expectAnsweredAsMissing(Alpha, TenantB, freshTenant, (id) => get(`/events/clusters?tenantID=${id}`))
  })
})

describe("an id of tenant B answers tenant A's users exactly as an unknown id", () => {
  it("alerts: close and assign of B's alerts, and assigning A's alert to B's user, answer as for missing ones and change nothing", async () => {
    for (const alert of [seeded.bravoAlerts.linked, seeded.bravoAlerts.free]) {
      await expectAnsweredAsMissing(Alpha, alert.id, freshUuid, (id) => post("/alerts/close", { id, reason: "responded" }))
      await expectAnsweredAsMissing(Alpha, alert.id, freshUuid, (id) => post("/alerts/assign", { id, assignee: "alpha-t2" }))
      await expectAnsweredAsMissing(Alpha, alert.id, freshUuid, (id) => post("/alerts/assign", { ids: [seeded.alphaAlert.id, id], userID: seeded.users.alphaAnalyst }))
    }
    await expectAnsweredAsMissing(Alpha, seeded.users.bravoAnalyst, freshUuid, (userID) => post("/alerts/assign", { id: seeded.alphaAlert.id, userID }))
    await expectAnsweredAsMissing(Alpha, "bravo-t2", freshToken("analyst"), (assignee) => post("/alerts/assign", { id: seeded.alphaAlert.id, assignee }))
    await expectBUnchanged()
  })

  it("incidents: reading, changing, linking, unlinking and merging B's incident, or B's alerts into A's, answer as for missing ones and change nothing", async () => {
    for (const incident of [seeded.bravoIncidents.withAlert, seeded.bravoIncidents.other]) {
      await expectAnsweredAsMissing(Alpha, incident, freshUuid, (id) => get(`/incidents/${id}`))
      await expectAnsweredAsMissing(Alpha, incident, freshUuid, (id) => patch(`/incidents/${id}`, { description: "changed by A", closingReason: "closed by A" }))
      await expectAnsweredAsMissing(Alpha, incident, freshUuid, (id) => post(`/incidents/${id}/link`, { alertIDs: [seeded.alphaAlert.id] }))
      await expectAnsweredAsMissing(Alpha, incident, freshUuid, (id) => post(`/incidents/${id}/unlink`, { alertIDs: [seeded.alphaAlert.id] }))
      await expectAnsweredAsMissing(Alpha, incident, freshUuid, (id) => post(`/incidents/${id}/merge`, { from: seeded.alphaIncident }))
      // B's incident as the source merged into A's.
      await expectAnsweredAsMissing(Alpha, incident, freshUuid, (from) => post(`/incidents/${seeded.alphaIncident}/merge`, { from }))
    }
    for (const alert of [seeded.bravoAlerts.linked, seeded.bravoAlerts.free]) {
      await expectAnsweredAsMissing(Alpha, alert.id, freshUuid, (id) => post(`/incidents/${seeded.alphaIncident}/link`, { alertIDs: [id] }))
      await expectAnsweredAsMissing(Alpha, alert.id, freshUuid, (id) => post(`/incidents/${seeded.alphaIncident}/unlink`, { alertIDs: [id] }))
    }
    await expectAnsweredAsMissing(Alpha, seeded.users.bravoAnalyst, freshUuid, (assignee) => patch(`/incidents/${seeded.alphaIncident}`, { assignee }))
    await expectAnsweredAsMissing(Alpha, "bravo-t2", freshToken("analyst"), (assignee) => patch(`/incidents/${seeded.alphaIncident}`, { assignee }))
    await expectAnsweredAsMissing(Alpha, "bravo-t2", freshToken("analyst"), (assignee) => post("/incidents", { name: "alpha probe", tenantID: TenantA, assignee }))
    await expectAnsweredAsMissing(Alpha, TenantB, freshTenant, (tenantID) => post("/incidents", { name: "alpha probe", tenantID }))
    await expectBUnchanged()
    // A's incident was not taken over either: no alert of B joined it.
    const alphaIncident = await callJson<{ alertIDs: Array<string>; status: string }>(Tokens.alphaAnalyst, get(`/incidents/${seeded.alphaIncident}`))
    expect(alphaIncident).toMatchObject({ alertIDs: [], status: "open" })
  })

  it("assets: import into and delete from tenant-b, and deleting B's asset by id, FQDN or IP from A, answer as for missing ones and change nothing of B", async () => {
    const asset = { name: "probe-host", fqdn: "probe-host.a.example" }
    await expectAnsweredAsMissing(Alpha, TenantB, freshTenant, (tenantID) => post("/assets/import", { tenantID, assets: [asset] }))
    await expectAnsweredAsMissing(Alpha, TenantB, freshTenant, (tenantID) => post("/assets/delete", { tenantID, ids: [seeded.bravoAsset] }))
    await expectAnsweredAsMissing(Alpha, seeded.bravoAsset, freshUuid, (id) => post("/assets/delete", { tenantID: TenantA, ids: [id] }))
    await expectAnsweredAsMissing(Alpha, BFqdn, () => `${randomBytes(4).toString("hex")}.b.example`, (fqdn) => post("/assets/delete", { tenantID: TenantA, fqdns: [fqdn] }))
    await expectAnsweredAsMissing(Alpha, BAddress, () => `10.${randomBytes(3).join(".")}`, (ip) => post("/assets/delete", { tenantID: TenantA, ipAddresses: [ip] }))
    await expectBUnchanged()
  })

  it("assets: importing into A an asset with B's FQDN or first IP makes a new asset of A (as for an unused one) and leaves B's alone", async () => {
    const importing = (identity: Record<string, unknown>) => post("/assets/import", { tenantID: TenantA, assets: [{ name: "probe-host", ...identity }] })
    for (const token of Alpha) {
      for (const [foreign, fresh, identity] of [
        [BFqdn, `${randomBytes(4).toString("hex")}.b.example`, (fqdn: string) => ({ fqdn })],
        [BAddress, `10.${randomBytes(3).join(".")}`, (ip: string) => ({ ipAddresses: [ip] })]
      ] as const) {
        const theirs = await call(token, importing(identity(foreign)))
        const nobodys = await call(token, importing(identity(fresh)))
        expect(theirs.status, theirs.text).toBe(200)
        expect(maskUuids(theirs.text)).toBe(maskUuids(nobodys.text))
        expect(JSON.parse(theirs.text)).toMatchObject({ updatedIDs: {}, errors: [] })
        await expectBUnchanged()
        // A's own probe assets go again, so the next caller's import meets no asset of A with B's identity.
        const madeByA = [theirs, nobodys].flatMap((answer) => Object.values((JSON.parse(answer.text) as { insertedIDs: Record<string, string> }).insertedIDs))
        expect(madeByA).toHaveLength(2)
        await callJson(Tokens.alphaAnalyst, post("/assets/delete", { tenantID: TenantA, ids: madeByA }), 204)
        await expectBUnchanged()
      }
    }
  })

  it("asset categories: adding in tenant-b or under B's category, deleting B's categories, and assets naming B's category answer as for missing ones and change nothing of B", async () => {
    await expectAnsweredAsMissing(Alpha, TenantB, freshTenant, (tenantID) => post("/assets/categories", { tenantID, name: "alpha probe category", priority: "low" }))
    await expectAnsweredAsMissing(Alpha, TenantB, freshTenant, (tenantID) => post("/assets/categories", { tenantID, name: "alpha probe category", priority: "low", parentID: seeded.bravoCategories.parent }))
    for (const id of [seeded.bravoCategories.parent, seeded.bravoCategories.child]) {
      await expectAnsweredAsMissing(Alpha, id, freshUuid, (parentID) => post("/assets/categories", { tenantID: TenantA, name: "alpha probe category", priority: "low", parentID }))
      await expectAnsweredAsMissing(Alpha, id, freshUuid, (value) => ({ method: "DELETE", url: `/assets/categories/${value}` }))
      await expectAnsweredAsMissing(Alpha, id, freshUuid, (category) => post("/assets/import", { tenantID: TenantA, assets: [{ name: "probe-host", fqdn: "probe-host.a.example", categories: [category] }] }))
    }
    await expectBUnchanged()
  })

  it("settings: writing tenant-b's settings answers as for an unknown tenant and changes nothing of B", async () => {
    await expectAnsweredAsMissing(Alpha, TenantB, freshTenant, (tenantID) => ({ method: "PUT", url: "/settings", payload: { tenantID, incidents: { autoLink: { enabled: true, days: 1 } } } }))
    await expectBUnchanged()
  })

  it("services: B's service id asked as a filter answers as an unknown one", async () => {
    await expectAnsweredAsMissing(Alpha, BServiceId, freshToken("collector"), (id) => get(`/services?id=${id}&tenantID=${TenantB}`))
    await expectAnsweredAsMissing(Alpha, BServiceId, freshToken("collector"), (id) => get(`/services?id=${id}&kind=collector&paired`))
  })

  it("services: restarting B's service by id answers as for a missing one and restarts nothing of B", async () => {
    await expectAnsweredAsMissing(Alpha, BServiceId, freshToken("collector"), (id) => post(`/services/${id}/restart`))
    expect(restarter.restarts.filter((request) => request.tenantId === TenantB)).toEqual([])
    await expectBUnchanged()
  })

  it("services: creating in tenant-b, and deleting B's service by id, answer as for missing ones and change nothing of B", async () => {
    await expectAnsweredAsMissing(Alpha, TenantB, freshTenant, (tenantID) => post("/services", { tenantID, name: "alpha probe service", kind: "collector", fqdn: "probe.a.example" }))
    await expectAnsweredAsMissing(Alpha, BServiceId, freshToken("collector"), (id) => ({ method: "DELETE", url: `/services/${id}` }))
    await expectBUnchanged()
  })

  it("resources: deleting B's resource by id, or naming tenant-b, answers as for a missing one and leaves it", async () => {
    await expectAnsweredAsMissing(Alpha, seeded.bravoResource, freshUuid, (id) => ({ method: "DELETE", url: `/resources/${id}` }))
    await expectAnsweredAsMissing(Alpha, TenantB, freshTenant, (tenantID) => ({ method: "DELETE", url: `/resources/${seeded.bravoResource}?tenantID=${tenantID}` }))
    await expectAnsweredAsMissing(Alpha, TenantB, freshTenant, (tenantID) => ({ method: "DELETE", url: `/resources/${seeded.alphaResource}?tenantID=${tenantID}` }))
    await expectBUnchanged()
  })

  it("storage: deleting tenant-b's partitions answers as for an unknown tenant; A's own deletion takes none of B's events", async () => {
    const before = new Date(Date.now() - 86_400_000).toISOString()
    await expectAnsweredAsMissing(Alpha, TenantB, freshTenant, (tenantID) => post("/storage/partitions/delete", { tenantID, before }))
    await expectBUnchanged()
    const own = await callJson<{ tenantID: string; partitions: number }>(Tokens.alphaAdmin, post("/storage/partitions/delete", { tenantID: TenantA, before }))
    expect(own).toMatchObject({ tenantID: TenantA, partitions: 1 })
    expect(secretsIn(JSON.stringify(own), secretsOfB)).toEqual([])
    await expectBUnchanged()
  })

  it("resources: export of B's resource or from tenant-b, download, table of contents and import of B's file, or into tenant-b, answer as for missing ones and change nothing", async () => {
    await expectAnsweredAsMissing(Alpha, seeded.bravoResource, freshUuid, (id) => post("/resources/export", { ids: [id], password: "probe-password", tenantID: TenantA }))
    await expectAnsweredAsMissing(Alpha, TenantB, freshTenant, (tenantID) => post("/resources/export", { ids: [seeded.alphaResource], password: "probe-password", tenantID }))
    await expectAnsweredAsMissing(Alpha, seeded.bravoFile, freshUuid, (id) => get(`/resources/download/${id}`))
    await expectAnsweredAsMissing(Alpha, seeded.bravoFile, freshUuid, (fileID) => post("/resources/toc", { fileID, password: BFilePassword }))
    await expectAnsweredAsMissing(Alpha, seeded.bravoFile, freshUuid, (fileID) => post("/resources/import", { fileID, password: BFilePassword, tenantID: TenantA, actions: {} }))
    // The caller's own file (the analyst's), compared with or imported into tenant-b.
    await expectAnsweredAsMissing([Tokens.alphaAnalyst], TenantB, freshTenant, (tenantID) => post("/resources/toc", { fileID: seeded.alphaFile, password: AFilePassword, tenantID }))
    await expectAnsweredAsMissing([Tokens.alphaAnalyst], TenantB, freshTenant, (tenantID) => post("/resources/import", { fileID: seeded.alphaFile, password: AFilePassword, tenantID, actions: { [seeded.alphaResource]: 2 } }))
    await expectBUnchanged()
  })

  it("correlators: B's correlator is in no list, and reading, validating or deploying it (or an A document aimed at tenant-b or B's correlator) answers as for a missing one and changes nothing", async () => {
    await expectBSees(get(`/correlators?tenantID=${TenantB}`), BCorrelator)
    await expectBSees(get(`/correlators/${BCorrelator}`), "bravo correlator rule")
    for (const url of ["/correlators", `/correlators?tenantID=${TenantB}`, "/correlators?name=bravo", `/correlators?id=${BCorrelator}`]) await expectNothingOfB(get(url))
    const documentOf = (id: string) => ({ document: JSON.stringify(correlatorJson(id, TenantB, "taken over")), format: "json" })
    await expectAnsweredAsMissing(Alpha, BCorrelator, freshToken("correlator"), (id) => get(`/correlators/${id}`))
    await expectAnsweredAsMissing(Alpha, BCorrelator, freshToken("correlator"), (id) => post(`/correlators/${id}/validate`, documentOf(id)))
    await expectAnsweredAsMissing(Alpha, BCorrelator, freshToken("correlator"), (id) => ({ method: "PUT", url: `/correlators/${id}`, payload: documentOf(id) }))
    // A's own correlator, with a document naming B's correlator, moving it to tenant-b, reading tenant-b's events or sending to B's correlator.
    const alphaDocument = (change: (value: Record<string, unknown>) => void) => {
      const value: Record<string, unknown> = correlatorJson("alpha-correlator", TenantA, "alpha correlator")
      change(value)
      return { document: JSON.stringify(value), format: "json" }
    }
    for (const method of ["POST", "PUT"] as const) {
      const at = (payload: unknown): ApiRequest => (method === "POST" ? post("/correlators/alpha-correlator/validate", payload) : { method, url: "/correlators/alpha-correlator", payload })
      await expectAnsweredAsMissing([Tokens.alphaAnalyst], BCorrelator, freshToken("correlator"), (id) => at(alphaDocument((value) => (value.id = id))))
      await expectAnsweredAsMissing([Tokens.alphaAnalyst], TenantB, freshTenant, (tenantId) => at(alphaDocument((value) => (value.tenantId = tenantId))))
      await expectAnsweredAsMissing([Tokens.alphaAnalyst], TenantB, freshTenant, (tenantId) => at(alphaDocument((value) => (value.sources = [{ tenantId: TenantA }, { tenantId }]))))
      await expectAnsweredAsMissing([Tokens.alphaAnalyst], BCorrelator, freshToken("correlator"), (id) =>
        at(alphaDocument((value) => ((value.rules as Array<Record<string, unknown>>)[0]!.actions = [{ trigger: "onEveryEvent", sendTo: [id] }])))
      )
    }
    await expectBUnchanged()
  })

  it("active lists: B's correlator, and B's list named under A's correlator, answer as unknown ones for listing, records, import, deletion and export, and B's records stay", async () => {
    const csv = "key,value\nalpha-key,overwritten by A\nbravo-key,overwritten by A\n"
    const importing = (search: string): ApiRequest => ({ method: "POST", url: `/activeLists/import?${search}&format=csv&keyField=key&clear`, payload: csv, contentType: "text/csv" })
    await expectAnsweredAsMissing(Alpha, BCorrelator, freshToken("correlator"), (id) => get(`/activeLists?correlatorID=${id}`))
    await expectAnsweredAsMissing(Alpha, BCorrelator, freshToken("correlator"), (id) => importing(`correlatorID=${id}&activeListName=${BList}`))
    await expectAnsweredAsMissing(Alpha, BCorrelator, freshToken("correlator"), (id) => importing(`correlatorID=${id}&activeListID=${seeded.bravoListId}`))
    await expectAnsweredAsMissing(Alpha, seeded.bravoListId, freshUuid, (id) => importing(`correlatorID=alpha-correlator&activeListID=${id}`))
    await expectAnsweredAsMissing(Alpha, BList, freshToken("list"), (name) => importing(`correlatorID=alpha-correlator&activeListName=${name}`))
    // Reading B's records, deleting them and exporting B's list, by B's correlator or B's list under A's.
    await expectBSees(get(`/activeLists/records?correlatorID=${BCorrelator}&activeListName=${BList}`), "bravo-key")
    const deleting = (search: Record<string, string>) => post("/activeLists/records/delete", { ...search, keys: ["bravo-key"] })
    for (const [path, suffix] of [
      ["records", ""],
      ["export", "&format=csv"],
      ["export", "&format=internal"]
    ] as const) {
      await expectAnsweredAsMissing(Alpha, BCorrelator, freshToken("correlator"), (id) => get(`/activeLists/${path}?correlatorID=${id}&activeListName=${BList}${suffix}`))
      await expectAnsweredAsMissing(Alpha, BCorrelator, freshToken("correlator"), (id) => get(`/activeLists/${path}?correlatorID=${id}&activeListID=${seeded.bravoListId}${suffix}`))
      await expectAnsweredAsMissing(Alpha, seeded.bravoListId, freshUuid, (id) => get(`/activeLists/${path}?correlatorID=alpha-correlator&activeListID=${id}${suffix}`))
      await expectAnsweredAsMissing(Alpha, BList, freshToken("list"), (name) => get(`/activeLists/${path}?correlatorID=alpha-correlator&activeListName=${name}${suffix}`))
    }
    await expectAnsweredAsMissing(Alpha, BCorrelator, freshToken("correlator"), (correlatorID) => deleting({ correlatorID, activeListName: BList }))
    await expectAnsweredAsMissing(Alpha, BCorrelator, freshToken("correlator"), (correlatorID) => deleting({ correlatorID, activeListID: seeded.bravoListId }))
    await expectAnsweredAsMissing(Alpha, seeded.bravoListId, freshUuid, (activeListID) => deleting({ correlatorID: "alpha-correlator", activeListID }))
    await expectAnsweredAsMissing(Alpha, BList, freshToken("list"), (activeListName) => deleting({ correlatorID: "alpha-correlator", activeListName }))
    await expectBUnchanged()
  })

  it("users: reading, changing, listing and making tokens of B's users, revoking B's tokens, and granting roles in tenant-b answer as for missing ones and change nothing", async () => {
    for (const id of [seeded.users.bravoAdmin, seeded.users.bravoAnalyst]) {
      await expectAnsweredAsMissing(Alpha, id, freshUuid, (value) => get(`/users/${value}`))
      await expectAnsweredAsMissing(Alpha, id, freshUuid, (value) => patch(`/users/${value}`, { name: "renamed by A", password: "a-new-password", disabled: true }))
      await expectAnsweredAsMissing(Alpha, id, freshUuid, (value) => patch(`/users/${value}`, { roles: [{ tenantID: TenantA, role: "junior-analyst" }] }))
      await expectAnsweredAsMissing(Alpha, id, freshUuid, (value) => get(`/users/${value}/tokens`))
      await expectAnsweredAsMissing(Alpha, id, freshUuid, (value) => post(`/users/${value}/tokens`, { description: "made by A" }))
      for (const tokenId of seeded.bravoTokenIds) await expectAnsweredAsMissing(Alpha, id, freshUuid, (value) => ({ method: "DELETE", url: `/users/${value}/tokens/${tokenId}` }))
    }
    // B's token ids under A's own user (the analyst, whose account both callers may handle).
    for (const tokenId of seeded.bravoTokenIds) {
      await expectAnsweredAsMissing(Alpha, tokenId, freshUuid, (value) => ({ method: "DELETE", url: `/users/${seeded.users.alphaAnalyst}/tokens/${value}` }))
    }
    await expectAnsweredAsMissing(Alpha, TenantB, freshTenant, (tenantID) => post("/users", { login: "probe-user", password: "probe-password", roles: [{ tenantID, role: "tier-1-analyst" }] }))
    await expectAnsweredAsMissing([Tokens.alphaAdmin], TenantB, freshTenant, (tenantID) => patch(`/users/${seeded.users.alphaAnalyst}`, { roles: [{ tenantID, role: "tier-1-analyst" }] }))
    await expectAnsweredAsMissing([Tokens.alphaAdmin], TenantB, freshTenant, (tenantID) => patch(`/users/${seeded.users.crossover}`, { roles: [{ tenantID, role: "tenant-administrator" }] }))
    await expectBUnchanged()
    // B's tokens still open the API.
    await callJson(Tokens.bravoAnalyst, get("/users/whoami"))
  })

  it("tenants and events: tenant-b or B's event ids asked by filter answer as unknown ones", async () => {
    await expectAnsweredAsMissing(Alpha, TenantB, freshTenant, (id) => get(`/tenants?id=${id}`))
    for (const event of seeded.bravoEvents) {
      await expectAnsweredAsMissing(Alpha, event.ID, freshUuid, (id) => post("/events", { period, sql: `SELECT * FROM events WHERE ID = '${id}'` }))
    }
  })

  it("sign-in: B's login with a wrong password is refused exactly as an unknown login", async () => {
    await expectAnsweredAsMissing([undefined], "bravo-admin", freshToken("nobody"), (login) => post("/login", { login, password: "not-the-password" }))
  })
})

describe("event search never reaches tenant B's events, whatever the SQL", () => {
  const search = (token: string, sql: string) => callJson<Array<Record<string, unknown>>>(token, post("/events", { period, sql }))

  it("B's events exist and B finds them: the searches below are not empty by accident", async () => {
    const rows = await search(Tokens.bravoAnalyst, "SELECT * FROM events WHERE TenantID = 'tenant-b'")
    expect(rows.map((row) => row.ID).sort()).toEqual(seeded.bravoEvents.map((event) => event.ID).sort())
  })

  it("filters on TenantID = 'tenant-b', B's names and B's rule find nothing for A's users", async () => {
    for (const sql of [
      "SELECT * FROM events WHERE TenantID = 'tenant-b'",
      "SELECT * FROM events WHERE TenantID in ('tenant-b')",
      "SELECT * FROM events WHERE CorrelationRuleName = 'bravo rule'",
      "SELECT * FROM events WHERE Type = 2 and SourceUserName = 'bravo-user'",
      `SELECT * FROM events WHERE DestinationHostName = '${BFqdn}'`,
      "SELECT count(*) FROM events WHERE TenantID = 'tenant-b'"
    ]) {
      for (const token of Alpha) {
        const rows = await search(token, sql)
        expect(secretsIn(JSON.stringify(rows), secretsOfB), sql).toEqual([])
        if (sql.startsWith("SELECT count")) expect(rows, sql).toEqual([{ "count(*)": 0 }])
        else expect(rows, sql).toEqual([])
      }
    }
  })

  it("OR tricks and always-true filters return A's rows only", async () => {
    for (const sql of [
      "SELECT * FROM events WHERE TenantID = 'tenant-b' OR TenantID != 'tenant-b'",
      "SELECT * FROM events WHERE TenantID = 'tenant-a' OR TenantID = 'tenant-b'",
      "SELECT * FROM events WHERE not TenantID = 'nobody'",
      "SELECT * FROM events WHERE Name = 'bravo rule' OR Name != 'bravo rule'",
      "SELECT * FROM events"
    ]) {
      for (const token of Alpha) {
        const rows = await search(token, sql)
        expect(rows.length, sql).toBeGreaterThan(0)
        for (const row of rows) expect(row.TenantID, sql).toBe(TenantA)
        expect(secretsIn(JSON.stringify(rows), secretsOfB), sql).toEqual([])
      }
    }
  })

  it("GROUP BY TenantID and other aggregates count A's rows only", async () => {
    for (const token of Alpha) {
      const everything = await search(token, "SELECT * FROM events")
      const byTenant = await search(token, "SELECT TenantID, count(*) AS n FROM events WHERE TenantID = 'tenant-b' OR TenantID != 'tenant-b' GROUP BY TenantID")
      expect(byTenant).toEqual([{ TenantID: TenantA, n: everything.length }])
      const byType = await search(token, "SELECT Type, count(*) AS n FROM events GROUP BY Type ORDER BY Type")
      expect(byType.reduce((sum, row) => sum + Number(row.n), 0)).toBe(everything.length)
      expect(byType.map((row) => row.Type)).not.toContain(4)
      const extremes = await search(token, "SELECT count(*), max(TenantID), min(TenantID), max(Name), max(SourceUserName) FROM events")
      expect(extremes).toHaveLength(1)
      expect(extremes[0]).toMatchObject({ "count(*)": everything.length, "max(TenantID)": TenantA, "min(TenantID)": TenantA })
      expect(secretsIn(JSON.stringify([byTenant, byType, extremes]), secretsOfB)).toEqual([])
    }
  })

  it("audit events (type 4, main tenant) about B's objects are the general administrator's, invisible to A's users", async () => {
    const audit = await search(Tokens.general, "SELECT * FROM events WHERE Type = 4")
    expect(audit.length).toBeGreaterThan(0)
    expect(audit.every((row) => row.TenantID === Main)).toBe(true)
    expect(JSON.stringify(audit)).toContain("bravo-host")
    for (const token of Alpha) {
      for (const sql of ["SELECT * FROM events WHERE Type = 4", "SELECT * FROM events WHERE TenantID = 'main'", "SELECT count(*) FROM events WHERE Type = 4 OR Type != 4 GROUP BY TenantID"]) {
        const rows = await search(token, sql)
        expect(JSON.stringify(rows), sql).not.toContain(`"${Main}"`)
        expect(rows.some((row) => row.Type === 4), sql).toBe(false)
        expect(secretsIn(JSON.stringify(rows), secretsOfB), sql).toEqual([])
      }
    }
  })
})

describe("a resource file of A that names B's resource id", () => {
  it("shows no conflict in its table of contents and imports into A as an unused id does, leaving B's resource as it was", async () => {
    const unused = ResourceId.make(randomUUID())
    const archived = (id: ResourceId) => ({ id, kind: "correlationRule" as const, name: "alpha copy", version: 1, body: { rule: "alpha copy" } })
    const bytes = await sealArchive({ format: "corvus-resources", exportedAt: Date.now(), resources: [archived(seeded.bravoResource), archived(unused)] }, AFilePassword)
    const uploaded = await callJson<{ id: string }>(Tokens.alphaAnalyst, { method: "POST", url: "/resources/upload", payload: Buffer.from(bytes), contentType: "application/octet-stream" })
    const toc = await callJson<Array<{ id: string; conflict: boolean }>>(Tokens.alphaAnalyst, post("/resources/toc", { fileID: uploaded.id, password: AFilePassword, tenantID: TenantA }))
    expect(toc.map((entry) => ({ id: entry.id, conflict: entry.conflict }))).toEqual([
      { id: seeded.bravoResource, conflict: false },
      { id: unused, conflict: false }
    ])
    // A conflict would be a 409 naming the id: importing with action 1 (import, not replace) must go through.
    await callJson(Tokens.alphaAnalyst, post("/resources/import", { fileID: uploaded.id, password: AFilePassword, tenantID: TenantA, actions: { [seeded.bravoResource]: 1, [unused]: 1 } }), 204)
    await expectBUnchanged()
    const bravoResource = await runtime.runPromise(Effect.flatMap(ResourceStore, (store) => store.get([TenantB], seeded.bravoResource)))
    expect(Option.getOrThrow(bravoResource)).toMatchObject({ name: "bravo correlation rule", tenantID: TenantB, version: 1 })
  })
})

describe("coverage of the served OpenAPI document", () => {
  it("every documented operation was exercised by this suite or is excluded with a reason, and every exclusion names a documented operation", () => {
    expect(operations.length).toBeGreaterThan(30)
    const missed = operations.filter((operation) => !exercised.has(operation) && !Excluded.has(operation))
    expect(missed, "operations neither probed for cross-tenant access nor excluded").toEqual([])
    expect([...Excluded.keys()].filter((operation) => !operations.includes(operation)), "stale exclusions").toEqual([])
  })
})
