// Tenant settings (SPEC §5, §7 "settings updated"): GET /api/v1/settings?tenantID= answers the
// tenant's settings (the node's defaults while it never saved any); PUT /api/v1/settings replaces
// them, audited with the values before and after. Today: automatic linking of alerts to incidents.
import { Clock, Effect } from "effect"
import type { FastifyPluginAsync } from "fastify"
import type { TenantId } from "../../model/Ids.ts"
import { MaxAutoLinkDays, type IncidentSettings, type Settings } from "../../model/Settings.ts"
import { effectiveSettings, SettingsStore } from "../../storage/SettingsStore.ts"
import { runOrFail, type ApiContext } from "../ApiContext.ts"
import { ErrorBody } from "../ApiError.ts"
import { recordAudit } from "../AuditTrail.ts"
import { principalOf } from "../Auth.ts"
import { tenantToActIn } from "../TenantAccess.ts"
import type { Action } from "../Permissions.ts"
import type { Principal } from "../Principal.ts"

const TenantIdSchema = { type: "string", minLength: 1, maxLength: 64 } as const

const IncidentsSchema = {
  type: "object",
  properties: {
    autoLink: {
      type: "object",
      properties: { enabled: { type: "boolean" }, days: { type: "integer", minimum: 0, maximum: MaxAutoLinkDays } },
      required: ["enabled", "days"],
      additionalProperties: false
    }
  },
  required: ["autoLink"],
  additionalProperties: false
} as const

const SettingsQuerystring = {
  type: "object",
  properties: { tenantID: TenantIdSchema },
  required: ["tenantID"],
  additionalProperties: false
} as const

const PutBody = {
  type: "object",
  properties: { tenantID: TenantIdSchema, incidents: IncidentsSchema },
  required: ["tenantID", "incidents"],
  additionalProperties: false
} as const

interface PutBody {
  tenantID: string
  incidents: IncidentSettings
}

// `updatedAt` and `updatedBy` are there once the tenant saved settings; absent, the values are the node's defaults.
const SettingsBody = {
  type: "object",
  properties: {
    tenantID: { type: "string" },
    tenantName: { type: "string" },
    incidents: IncidentsSchema,
    updatedAt: { type: "string" },
    updatedBy: { type: "string" }
  },
  required: ["tenantID", "tenantName", "incidents"]
} as const

/**
 * The tenant asked about: one where the caller holds no role answers as an unknown one; a role
 * there without the permission is 403.
 */
const tenantFor = (principal: Principal, action: Action, tenantId: string): TenantId => tenantToActIn(principal, action, tenantId)

const rfc3339 = (millis: number) => new Date(millis).toISOString()

export const settingsRoutes = (context: ApiContext): FastifyPluginAsync => async (app) => {
  const tenantNames = new Map(context.tenants.map((tenant) => [tenant.id as string, tenant.name]))
  const answerOf = (tenantId: TenantId, incidents: IncidentSettings, saved: Settings | undefined) => ({
    tenantID: tenantId,
    tenantName: tenantNames.get(tenantId) ?? tenantId,
    incidents: { autoLink: { enabled: incidents.autoLink.enabled, days: incidents.autoLink.days } },
    ...(saved !== undefined ? { updatedAt: rfc3339(saved.updatedAt), updatedBy: saved.updatedBy } : {})
  })

  app.get<{ Querystring: { tenantID: string } }>(
    "/settings",
    { schema: { querystring: SettingsQuerystring, response: { 200: SettingsBody, "4xx": ErrorBody, "5xx": ErrorBody } } },
    async (request) => {
      const tenantId = tenantFor(principalOf(request), "incidents.read", request.query.tenantID)
      const effective = await runOrFail(context, effectiveSettings(tenantId))
      return answerOf(tenantId, effective.incidents, effective.saved)
    }
  )

  app.put<{ Body: PutBody }>(
    "/settings",
    { schema: { body: PutBody, response: { 200: SettingsBody, "4xx": ErrorBody, "5xx": ErrorBody } } },
    async (request) => {
      const principal = principalOf(request)
      const tenantId = tenantFor(principal, "settings.manage", request.body.tenantID)
      const incidents: IncidentSettings = { autoLink: { enabled: request.body.incidents.autoLink.enabled, days: request.body.incidents.autoLink.days } }
      const saved = await runOrFail(
        context,
        Effect.gen(function* () {
          const before = yield* effectiveSettings(tenantId)
          const settings: Settings = { tenantID: tenantId, incidents, updatedAt: yield* Clock.currentTimeMillis, updatedBy: principal.login }
          yield* Effect.flatMap(SettingsStore, (store) => store.save(settings))
          yield* recordAudit({
            action: "settings updated",
            message: `settings of tenant ${tenantId} updated`,
            actor: principal.login,
            subjectTenantId: tenantId,
            details: { section: "incidents", before: JSON.stringify(before.incidents), after: JSON.stringify(settings.incidents) }
          })
          return settings
        })
      )
      return answerOf(tenantId, saved.incidents, saved)
    }
  )
}
