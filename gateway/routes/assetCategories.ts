// Asset categories (SPEC §7, as in KUMA): GET /api/v1/assets/categories with KUMA's list
// conventions, POST to add a category (optionally under a parent of the same tenant) and
// DELETE /assets/categories/{id} (409 while it has child categories), both audited.
import { Clock, Effect, Option } from "effect"
import type { FastifyPluginAsync } from "fastify"
import { randomUUID } from "node:crypto"
import { AssetCategoryId, type AssetCategory, type AssetCategoryPriority } from "../../model/AssetCategory.ts"
import type { AssetId } from "../../model/Asset.ts"
import type { TenantId } from "../../model/Ids.ts"
import { AssetCategoryStore } from "../../storage/AssetCategoryStore.ts"
import { AssetStore } from "../../storage/AssetStore.ts"
import { uuidKey } from "../../storage/StoreListing.ts"
import { runOrFail, type ApiContext } from "../ApiContext.ts"
import { PageParameter, PageSize, TenantIdsParameter } from "../ListQuery.ts"
import { patternOf } from "../QueryPattern.ts"
import { ApiError, ErrorBody } from "../ApiError.ts"
import { recordAudit } from "../AuditTrail.ts"
import { principalOf } from "../Auth.ts"
import { tenantToActIn } from "../TenantAccess.ts"
import { mayIn, tenantsFor, type Principal } from "../Principal.ts"

const Priorities = ["low", "medium", "high"] as const satisfies ReadonlyArray<AssetCategoryPriority>

const CategoryQuerystring = {
  type: "object",
  properties: {
    page: PageParameter,
    id: { type: "array", items: { type: "string", format: "uuid" } },
    tenantID: TenantIdsParameter,
    name: { type: "string", maxLength: 512 }
  },
  additionalProperties: false
} as const

interface CategoryQuerystring {
  page: number
  id?: Array<string>
  tenantID?: Array<string>
  name?: string
}

const CategoryBody = {
  type: "object",
  properties: {
    id: { type: "string" },
    tenantID: { type: "string" },
    tenantName: { type: "string" },
    name: { type: "string" },
    priority: { type: "string", enum: Priorities },
    parentID: { type: "string" },
    createdAt: { type: "string" },
    updatedAt: { type: "string" }
  },
  required: ["id", "tenantID", "tenantName", "name", "priority", "createdAt", "updatedAt"]
} as const

const CreateBody = {
  type: "object",
  properties: {
    tenantID: { type: "string", minLength: 1, maxLength: 64 },
    name: { type: "string", minLength: 1, maxLength: 512, pattern: "\\S" },
    priority: { type: "string", enum: Priorities },
    parentID: { type: "string", format: "uuid" }
  },
  required: ["tenantID", "name", "priority"],
  additionalProperties: false
} as const

interface CreateBody {
  tenantID: string
  name: string
  priority: AssetCategoryPriority
  parentID?: string
}

const CategoryIdParams = {
  type: "object",
  properties: { id: { type: "string", format: "uuid" } },
  required: ["id"],
  additionalProperties: false
} as const

const NoBody = { type: "null" } as const

const CategoryNotFound = () => new ApiError(404, "asset category not found", "")
const ManageDenied = (tenantId: string) => new ApiError(403, "access denied", `your role in tenant ${tenantId} does not allow managing assets`)

/**
 * The tenant a category is added to: a tenant where the caller holds no role answers as an
 * unknown one; a role there without the permission is 403.
 */
const writeTenant = (principal: Principal, tenantId: string): TenantId => tenantToActIn(principal, "assets.manage", tenantId, ManageDenied(tenantId).details)

/** A pattern matching exactly `text`, ignoring case. */
const exactly = (text: string): RegExp => new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`, "i")

const rfc3339 = (millis: number) => new Date(millis).toISOString()

export const assetCategoriesRoutes = (context: ApiContext): FastifyPluginAsync => async (app) => {
  const tenantNames = new Map(context.tenants.map((tenant) => [tenant.id as string, tenant.name]))
  const answerOf = (category: AssetCategory) => ({
    id: category.id,
    tenantID: category.tenantID,
    tenantName: tenantNames.get(category.tenantID) ?? category.tenantID,
    name: category.name,
    priority: category.priority,
    ...(category.parentID !== undefined ? { parentID: category.parentID } : {}),
    createdAt: rfc3339(category.createdAt),
    updatedAt: rfc3339(category.updatedAt)
  })

  app.get<{ Querystring: CategoryQuerystring }>(
    "/assets/categories",
    { schema: { querystring: CategoryQuerystring, response: { 200: { type: "array", items: CategoryBody }, "4xx": ErrorBody, "5xx": ErrorBody } } },
    async (request) => {
      const query = request.query
      const name = patternOf("name", query.name)
      const tenantIds = tenantsFor(principalOf(request), "assets.read", query.tenantID ?? [])
      if (tenantIds.length === 0) return []
      const categories = await runOrFail(
        context,
        Effect.flatMap(AssetCategoryStore, (store) =>
          store.list({ tenantIds, ids: (query.id ?? []) as Array<AssetCategoryId>, ...(name !== undefined ? { name } : {}), page: query.page, pageSize: PageSize })
        )
      )
      return categories.map(answerOf)
    }
  )

  app.post<{ Body: CreateBody }>(
    "/assets/categories",
    { schema: { body: CreateBody, response: { 201: CategoryBody, "4xx": ErrorBody, "5xx": ErrorBody } } },
    async (request, reply) => {
      const principal = principalOf(request)
      const body = request.body
      const tenantId = writeTenant(principal, body.tenantID)
      const name = body.name.trim()
      const outcome = await runOrFail(
        context,
        Effect.gen(function* () {
          const store = yield* AssetCategoryStore
          // The parent is looked for in the target tenant only: another tenant's reads as missing.
          const parent = body.parentID === undefined ? Option.none<AssetCategory>() : yield* store.get(tenantId, AssetCategoryId.make(body.parentID))
          if (body.parentID !== undefined && Option.isNone(parent)) return { _tag: "noParent" as const }
          const parentKey = Option.match(parent, { onNone: () => undefined, onSome: (found) => uuidKey(found.id) })
          const namesakes = yield* store.list({ tenantIds: [tenantId], ids: [], name: exactly(name), page: 1, pageSize: PageSize })
          if (namesakes.some((other) => (other.parentID === undefined ? undefined : uuidKey(other.parentID)) === parentKey)) return { _tag: "exists" as const }
          const now = yield* Clock.currentTimeMillis
          // The id is always made here: an id named by the caller could be another tenant's.
          const created: AssetCategory = {
            id: AssetCategoryId.make(randomUUID()),
            tenantID: tenantId,
            name,
            priority: body.priority,
            ...(Option.isSome(parent) ? { parentID: parent.value.id } : {}),
            createdAt: now,
            updatedAt: now
          }
          yield* store.save(created)
          yield* recordAudit({
            action: "asset category added",
            message: `asset category ${created.name} added`,
            actor: principal.login,
            subjectTenantId: tenantId,
            details: { categoryID: created.id, name: created.name, priority: created.priority, ...(created.parentID !== undefined ? { parentID: created.parentID } : {}) }
          })
          return { _tag: "created" as const, category: created }
        })
      )
      switch (outcome._tag) {
        case "noParent":
          throw new ApiError(404, "parent asset category not found", "")
        case "exists":
          throw new ApiError(409, "asset category exists", "a category of this name already exists under the same parent")
        case "created":
          return reply.status(201).send(answerOf(outcome.category))
      }
    }
  )

  app.delete<{ Params: { id: string } }>(
    "/assets/categories/:id",
    { schema: { params: CategoryIdParams, response: { 204: NoBody, "4xx": ErrorBody, "5xx": ErrorBody } } },
    async (request, reply) => {
      const principal = principalOf(request)
      const id = AssetCategoryId.make(request.params.id)
      const outcome = await runOrFail(
        context,
        Effect.gen(function* () {
          const store = yield* AssetCategoryStore
          // Only the caller's tenants are looked into: another tenant's category is never found, so never deleted.
          const found: Array<AssetCategory> = []
          for (const tenantId of principal.roles.keys()) {
            const category = yield* store.get(tenantId, id)
            if (Option.isSome(category)) found.push(category.value)
          }
          const category = found.find((candidate) => mayIn(principal, "assets.manage", candidate.tenantID)) ?? found[0]
          if (category === undefined) return { _tag: "missing" as const }
          if (!mayIn(principal, "assets.manage", category.tenantID)) return { _tag: "denied" as const, tenantId: category.tenantID }
          const children = yield* store.list({ tenantIds: [category.tenantID], ids: [], parentIds: [category.id], page: 1, pageSize: 1 })
          if (children.length > 0) return { _tag: "hasChildren" as const }
          // Gone between the lookup and the delete: someone else deleted it, and audited that.
          if (!(yield* store.delete(category.tenantID, category.id))) return { _tag: "missing" as const }
          // The tenant's assets stop naming it (a child added meanwhile keeps a parent id that reads as missing).
          const assets = yield* AssetStore
          const key = uuidKey(category.id)
          const naming: Array<AssetId> = []
          for (let page = 1; ; page++) {
            const batch = yield* assets.list({ tenantIds: [category.tenantID], ids: [], page, pageSize: PageSize })
            for (const asset of batch) if (asset.categories.some((held) => uuidKey(held) === key)) naming.push(asset.id)
            if (batch.length < PageSize) break
          }
          const now = yield* Clock.currentTimeMillis
          for (const assetId of naming) {
            const asset = yield* assets.get(category.tenantID, assetId)
            if (Option.isSome(asset)) yield* assets.save({ ...asset.value, categories: asset.value.categories.filter((held) => uuidKey(held) !== key), updatedAt: now })
          }
          yield* recordAudit({
            action: "asset category deleted",
            message: `asset category ${category.name} deleted`,
            actor: principal.login,
            subjectTenantId: category.tenantID,
            details: { categoryID: category.id, name: category.name, assetsUpdated: String(naming.length) }
          })
          return { _tag: "deleted" as const }
        })
      )
      switch (outcome._tag) {
        case "missing":
          throw CategoryNotFound()
        case "denied":
          throw ManageDenied(outcome.tenantId)
        case "hasChildren":
          throw new ApiError(409, "asset category has child categories", "delete its child categories first")
        case "deleted":
          return reply.status(204).send()
      }
    }
  )
}
