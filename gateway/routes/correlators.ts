// Correlators and their rules for the console (SPEC §4, §7; issue 8 "rules and correlators"):
// GET /correlators (the running correlators of the caller's tenants with their revision and rules),
// GET /correlators/{id} (its document as YAML, as `corvus rules deploy` reads it, and as JSON),
// POST /correlators/{id}/validate (the checks a deploy makes, in the deploy's words, nothing
// stored) and PUT /correlators/{id} (deploys the document as the next revision: the running
// partitions reload; the node audits "service reloaded", the gateway "resource updated").
// Everything goes to the node through the CorrelatorControl port.
import { Effect, Option } from "effect"
import type { FastifyPluginAsync } from "fastify"
import type { CorrelatorSpec } from "../../model/Rule.ts"
import { runOrFail, type ApiContext } from "../ApiContext.ts"
import { ApiError, ErrorBody } from "../ApiError.ts"
import { recordAudit } from "../AuditTrail.ts"
import { principalOf } from "../Auth.ts"
import {
  correlatorControlOf,
  decodeCorrelatorDocument,
  idNamedIn,
  specJsonOf,
  type CorrelatorDocument,
  type CorrelatorView,
  type DeployFailure
} from "../CorrelatorControl.ts"
import { NamedListQuerystring, PageSize } from "../ListQuery.ts"
import { mayIn, tenantsFor, type Principal } from "../Principal.ts"
import { patternOf } from "../QueryPattern.ts"

const ListQuerystring = NamedListQuerystring
type ListQuerystring = NamedListQuerystring

const CorrelatorIdParams = {
  type: "object",
  properties: { id: { type: "string", pattern: "^[A-Za-z0-9_-]{1,64}$" } },
  required: ["id"],
  additionalProperties: false
} as const

const DocumentBody = {
  type: "object",
  properties: {
    /** One correlator resource, as deployment files list them under `correlators` and `corvus rules deploy` reads it. */
    document: { type: "string", minLength: 1, maxLength: 1_000_000 },
    /** How `document` is written; default yaml. */
    format: { type: "string", enum: ["yaml", "json"], default: "yaml" }
  },
  required: ["document"],
  additionalProperties: false
} as const

interface DocumentBody {
  document: string
  format: "yaml" | "json"
}

const RuleSummary = {
  type: "object",
  properties: { id: { type: "string" }, name: { type: "string" }, kind: { type: "string", enum: ["simple", "standard", "operational"] } },
  required: ["id", "name", "kind"]
} as const

const summaryProperties = {
  id: { type: "string" },
  tenantID: { type: "string" },
  tenantName: { type: "string" },
  name: { type: "string" },
  /** The current revision (from 1; 0 before anything was stored). */
  revision: { type: "integer" },
  rules: { type: "array", items: RuleSummary },
  /** How many partitions the correlator runs in. */
  partitions: { type: "integer" },
  /** The names of its active lists (each correlator keeps its own records). */
  activeLists: { type: "array", items: { type: "string" } }
} as const

const CorrelatorSummary = {
  type: "object",
  properties: summaryProperties,
  required: ["id", "tenantID", "tenantName", "name", "revision", "rules", "partitions", "activeLists"]
} as const

const CorrelatorDetail = {
  type: "object",
  properties: {
    ...summaryProperties,
    /** The correlator resource as YAML: a file with this text given to `corvus rules deploy` deploys this revision. */
    document: { type: "string" },
    /** The same resource as JSON. */
    spec: { type: "object", additionalProperties: true }
  },
  required: ["id", "tenantID", "tenantName", "name", "revision", "rules", "partitions", "activeLists", "document", "spec"]
} as const

const ValidAnswer = {
  type: "object",
  properties: {
    valid: { type: "boolean", enum: [true] },
    /** How many rules the document has. */
    rules: { type: "integer" },
    /** The revision a deploy would follow (the current one). */
    revision: { type: "integer" }
  },
  required: ["valid", "rules", "revision"]
} as const

const DeployAnswer = {
  type: "object",
  properties: {
    /** The correlator's revision after the deploy. */
    revision: { type: "integer" },
    /** False when the document equalled the current revision and nothing was stored. */
    created: { type: "boolean" }
  },
  required: ["revision", "created"]
} as const

const CorrelatorNotFound = () => new ApiError(404, "correlator not found", "")
const Unreachable = () => new ApiError(503, "correlator unreachable", "the node running the correlator did not answer; try again")
const ManageDenied = (tenantId: string) => new ApiError(403, "access denied", `your role in tenant ${tenantId} does not allow managing rules`)
const IdMismatch = (pathId: string) => new ApiError(400, "correlator id mismatch", `the document must name correlator ${pathId} (its id field)`)

/** A deploy's refusal in the deploy's own words: the console shows what `corvus rules deploy` would. */
const deployAnswerOf = (pathId: string) => (error: DeployFailure): ApiError => {
  switch (error._tag) {
    case "CorrelatorDocumentInvalid":
      return new ApiError(400, "invalid correlator document", error.message)
    case "CorrelatorChangeRefused":
      return new ApiError(400, "correlator change refused", error.message)
    // The document decoded but names no running correlator: not the path's one either.
    case "CorrelatorNotRunning":
      return IdMismatch(pathId)
    case "CorrelatorControlError":
      return Unreachable()
  }
}

const DeployFailureTags: ReadonlySet<string> = new Set(["CorrelatorDocumentInvalid", "CorrelatorChangeRefused", "CorrelatorNotRunning", "CorrelatorControlError"])
const isDeployFailure = (error: unknown): error is DeployFailure =>
  typeof error === "object" && error !== null && DeployFailureTags.has((error as { readonly _tag?: string })._tag ?? "")

/** Every correlator the rules send correlation events to. */
const destinationsOf = (spec: CorrelatorSpec): Set<string> =>
  new Set(spec.rules.flatMap((rule) => (rule.kind === "operational" ? [] : rule.actions.flatMap((action) => action.sendTo as ReadonlyArray<string>))))

export const correlatorsRoutes = (context: ApiContext): FastifyPluginAsync => async (app) => {
  const control = correlatorControlOf(context)
  const tenantNames = new Map(context.tenants.map((tenant) => [tenant.id as string, tenant.name]))
  const mapControlError = (error: { readonly _tag: string }) => (error._tag === "CorrelatorControlError" ? Unreachable() : undefined)

  const summaryOf = (correlator: CorrelatorView) => ({
    id: correlator.id,
    tenantID: correlator.tenantID,
    tenantName: tenantNames.get(correlator.tenantID) ?? correlator.tenantID,
    name: correlator.name,
    revision: correlator.revision,
    rules: correlator.spec.rules.map((rule) => ({ id: rule.id, name: rule.name, kind: rule.kind })),
    partitions: correlator.partitions,
    activeLists: correlator.spec.activeLists.map((list) => list.name)
  })

  /** The correlator when the caller may read rules in its tenant; any other answers as an unknown one. */
  const visibleCorrelator = async (principal: Principal, correlatorId: string): Promise<CorrelatorView> => {
    const found = await runOrFail(context, control.get(correlatorId), mapControlError)
    if (Option.isNone(found) || !mayIn(principal, "resources.read", found.value.tenantID)) throw CorrelatorNotFound()
    return found.value
  }

  /**
   * Checks `document` for the correlator at `current` as a deploy would (the node's own checks and
   * words), then what only the gateway knows: the document keeps the correlator's id and tenant,
   * and takes events from, or sends them to, only what it did already or what the caller may manage.
   */
  const checked = async (principal: Principal, current: CorrelatorView, document: CorrelatorDocument) => {
    const named = idNamedIn(document)
    if (typeof named === "string" && named !== current.id) throw IdMismatch(current.id)
    const validated = await runOrFail(context, control.validate(document), deployAnswerOf(current.id))
    const spec = await runOrFail(context, decodeCorrelatorDocument(document), (error) => new ApiError(400, "invalid correlator document", error.message))
    if (spec.id !== current.id) throw IdMismatch(current.id)
    if (spec.tenantId !== current.tenantID) {
      throw new ApiError(400, "correlator tenant cannot change", `correlator ${current.id} belongs to tenant ${current.tenantID}; its document must keep tenantId ${current.tenantID}`)
    }
    const knownSources = new Set<string>(current.spec.sources.map((source) => source.tenantId))
    for (const source of spec.sources) {
      if (!knownSources.has(source.tenantId) && !mayIn(principal, "resources.manage", source.tenantId)) {
        throw new ApiError(400, "source not allowed", `a new source must be a tenant where you may manage rules: ${source.tenantId} is not`)
      }
    }
    const knownDestinations = destinationsOf(current.spec)
    const added = [...destinationsOf(spec)].filter((target) => !knownDestinations.has(target))
    if (added.length > 0) {
      const running = await runOrFail(context, control.list, mapControlError)
      const tenantOf = new Map(running.map((correlator) => [correlator.id, correlator.tenantID as string]))
      for (const target of added) {
        const tenantId = tenantOf.get(target)
        // An unknown correlator and another tenant's answer alike.
        if (tenantId === undefined || !mayIn(principal, "resources.manage", tenantId)) {
          throw new ApiError(400, "destination not allowed", `a new sendTo must be a correlator whose rules you may manage: ${target} is not`)
        }
      }
    }
    return { spec, revision: validated.revision }
  }

  const documentOf = (body: DocumentBody): CorrelatorDocument => ({ document: body.document, format: body.format })

  app.get<{ Querystring: ListQuerystring }>(
    "/correlators",
    { schema: { querystring: ListQuerystring, response: { 200: { type: "array", items: CorrelatorSummary }, "4xx": ErrorBody, "5xx": ErrorBody } } },
    async (request) => {
      const query = request.query
      const name = patternOf("name", query.name)
      const tenantIds = new Set<string>(tenantsFor(principalOf(request), "resources.read", query.tenantID ?? []))
      if (tenantIds.size === 0) return []
      const ids = query.id === undefined || query.id.length === 0 ? undefined : new Set(query.id)
      const running = await runOrFail(context, control.list, mapControlError)
      const chosen = running
        .filter((correlator) => tenantIds.has(correlator.tenantID) && (ids === undefined || ids.has(correlator.id)) && (name === undefined || name.test(correlator.name)))
        .sort((a, b) => (a.tenantID === b.tenantID ? (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) : a.tenantID < b.tenantID ? -1 : 1))
      return chosen.slice((query.page - 1) * PageSize, query.page * PageSize).map(summaryOf)
    }
  )

  app.get<{ Params: { id: string } }>(
    "/correlators/:id",
    { schema: { params: CorrelatorIdParams, response: { 200: CorrelatorDetail, "4xx": ErrorBody, "5xx": ErrorBody } } },
    async (request) => {
      const correlator = await visibleCorrelator(principalOf(request), request.params.id)
      return { ...summaryOf(correlator), document: correlator.document, spec: specJsonOf(correlator.spec) }
    }
  )

  app.post<{ Params: { id: string }; Body: DocumentBody }>(
    "/correlators/:id/validate",
    { schema: { params: CorrelatorIdParams, body: DocumentBody, response: { 200: ValidAnswer, "4xx": ErrorBody, "5xx": ErrorBody } } },
    async (request) => {
      const principal = principalOf(request)
      const correlator = await visibleCorrelator(principal, request.params.id)
      const { spec, revision } = await checked(principal, correlator, documentOf(request.body))
      return { valid: true, rules: spec.rules.length, revision }
    }
  )

  app.put<{ Params: { id: string }; Body: DocumentBody }>(
    "/correlators/:id",
    { schema: { params: CorrelatorIdParams, body: DocumentBody, response: { 200: DeployAnswer, "4xx": ErrorBody, "5xx": ErrorBody } } },
    async (request) => {
      const principal = principalOf(request)
      const correlator = await visibleCorrelator(principal, request.params.id)
      if (!mayIn(principal, "resources.manage", correlator.tenantID)) throw ManageDenied(correlator.tenantID)
      const document = documentOf(request.body)
      await checked(principal, correlator, document)
      // The node audits "service reloaded" as it stores the revision; the rules' change is audited here.
      const outcome = await runOrFail(
        context,
        Effect.gen(function* () {
          const deployed = yield* control.deploy(document)
          if (deployed.created) {
            yield* recordAudit({
              action: "resource updated",
              message: `correlator ${correlator.name} rules updated to revision ${deployed.revision}`,
              actor: principal.login,
              subjectTenantId: correlator.tenantID,
              details: { correlatorID: correlator.id, kind: "correlator", name: correlator.name, revision: String(deployed.revision) }
            })
          }
          return deployed
        }),
        (error) => (isDeployFailure(error) ? deployAnswerOf(correlator.id)(error) : undefined)
      )
      return { revision: outcome.revision, created: outcome.created }
    }
  )
}
