// Assets (SPEC §7): GET /api/v1/assets with KUMA's filters, POST assets/import (identity by
// FQDN, else first IP; a known asset is updated) and POST assets/delete, each audited. An asset's
// `categories` are ids of its tenant's asset categories (routes/assetCategories.ts).
import { Clock, Effect, Option } from "effect"
import type { FastifyPluginAsync } from "fastify"
import { randomUUID } from "node:crypto"
import { AssetId, type Asset } from "../../model/Asset.ts"
import type { TenantId } from "../../model/Ids.ts"
import { AssetCategoryId, type AssetCategory } from "../../model/AssetCategory.ts"
import { AssetCategoryStore } from "../../storage/AssetCategoryStore.ts"
import { AssetStore, fqdnKey } from "../../storage/AssetStore.ts"
import { runOrFail, type ApiContext } from "../ApiContext.ts"
import { PageParameter, PageSize, TenantIdsParameter } from "../ListQuery.ts"
import { patternOf } from "../QueryPattern.ts"
import { SharedTenantId } from "../../model/Tenant.ts"
import { ApiError, ErrorBody } from "../ApiError.ts"
import { recordAudit } from "../AuditTrail.ts"
import { principalOf } from "../Auth.ts"
import { tenantToActIn } from "../TenantAccess.ts"
import type { Action } from "../Permissions.ts"
import { tenantsFor, type Principal } from "../Principal.ts"

const AssetQuerystring = {
  type: "object",
  properties: {
    page: PageParameter,
    id: { type: "array", items: { type: "string", format: "uuid" } },
    tenantID: TenantIdsParameter,
    name: { type: "string", maxLength: 512 },
    fqdn: { type: "string", maxLength: 512 },
    ip: { type: "string", maxLength: 512 },
    mac: { type: "string", maxLength: 512 }
  },
  additionalProperties: false
} as const

interface AssetQuerystring {
  page: number
  id?: Array<string>
  tenantID?: Array<string>
  name?: string
  fqdn?: string
  ip?: string
  mac?: string
}

const AssetBody = {
  type: "object",
  properties: {
    id: { type: "string" },
    tenantID: { type: "string" },
    tenantName: { type: "string" },
    name: { type: "string" },
    fqdn: { type: "string" },
    ipAddresses: { type: "array", items: { type: "string" } },
    macAddresses: { type: "array", items: { type: "string" } },
    owner: { type: "string" },
    os: { type: "string" },
    categories: { type: "array", items: { type: "string" } },
    createdAt: { type: "string" },
    updatedAt: { type: "string" }
  },
  required: ["id", "tenantID", "tenantName", "name", "ipAddresses", "macAddresses", "categories", "createdAt", "updatedAt"]
} as const

const IpAddress = { type: "string", anyOf: [{ format: "ipv4" }, { format: "ipv6" }] } as const
const MacAddress = { type: "string", pattern: "^[0-9A-Fa-f]{2}([-:]?[0-9A-Fa-f]{2}){5}$" } as const

const ImportedAsset = {
  type: "object",
  properties: {
    name: { type: "string", minLength: 1, maxLength: 512 },
    fqdn: { type: "string", maxLength: 255 },
    ipAddresses: { type: "array", items: IpAddress, maxItems: 256 },
    macAddresses: { type: "array", items: MacAddress, maxItems: 256 },
    owner: { type: "string", maxLength: 512 },
    // KUMA sends {name, version}; a plain string is kept as it is.
    os: {
      anyOf: [
        { type: "string", maxLength: 512 },
        { type: "object", properties: { name: { type: "string", maxLength: 256 }, version: { type: "integer", minimum: 0 } }, additionalProperties: false }
      ]
    },
    categories: { type: "array", items: { type: "string", format: "uuid" }, maxItems: 256 }
  },
  additionalProperties: false
} as const

interface ImportedAsset {
  /** KUMA's default when absent: the FQDN, else the first IP address. */
  name?: string
  fqdn?: string
  ipAddresses?: Array<string>
  macAddresses?: Array<string>
  owner?: string
  os?: string | { name?: string; version?: number }
  categories?: Array<string>
}

const ImportBody = {
  type: "object",
  properties: {
    tenantID: { type: "string", minLength: 1, maxLength: 64 },
    assets: { type: "array", items: ImportedAsset, maxItems: 10_000 }
  },
  required: ["tenantID", "assets"],
  additionalProperties: false
} as const

interface ImportBody {
  tenantID: string
  assets: Array<ImportedAsset>
}

// KUMA's answer: the ids inserted and updated, keyed by the index of the asset in the request, and the refused ones.
const ImportResult = {
  type: "object",
  properties: {
    insertedIDs: { type: "object", additionalProperties: { type: "string" } },
    updatedIDs: { type: "object", additionalProperties: { type: "string" } },
    errors: {
      type: "array",
      items: { type: "object", properties: { index: { type: "integer" }, message: { type: "string" } }, required: ["index", "message"] }
    }
  },
  required: ["insertedIDs", "updatedIDs", "errors"]
} as const

const DeleteBody = {
  type: "object",
  properties: {
    tenantID: { type: "string", minLength: 1, maxLength: 64 },
    ids: { type: "array", items: { type: "string", format: "uuid" }, maxItems: 10_000 },
    fqdns: { type: "array", items: { type: "string", minLength: 1, maxLength: 255 }, maxItems: 10_000 },
    ipAddresses: { type: "array", items: IpAddress, maxItems: 10_000 }
  },
  required: ["tenantID"],
  additionalProperties: false
} as const

interface DeleteBody {
  tenantID: string
  ids?: Array<string>
  fqdns?: Array<string>
  ipAddresses?: Array<string>
}


/** A pattern matching exactly `text`, ignoring case. */
const exactly = (text: string): RegExp => new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`, "i")

/**
 * The tenant a write goes to: 403 when the caller holds a role there without the permission;
 * a tenant where they hold no role answers as an unknown one does.
 */
const writableTenant = (principal: Principal, action: Action, tenantId: string): TenantId => tenantToActIn(principal, action, tenantId)

const rfc3339 = (millis: number) => new Date(millis).toISOString()

/** KUMA's {name, version} as one line ("Windows 10"); a string as it came; nothing when both parts are empty. */
const osText = (os: ImportedAsset["os"]): string | undefined => {
  if (os === undefined || typeof os === "string") return os
  const text = [os.name ?? "", os.version === undefined ? "" : String(os.version)].filter((part) => part !== "").join(" ")
  return text === "" ? undefined : text
}

export const assetsRoutes = (context: ApiContext): FastifyPluginAsync => async (app) => {
  const tenantNames = new Map(context.tenants.map((tenant) => [tenant.id as string, tenant.name]))
  const present = (asset: Asset) => ({
    id: asset.id,
    tenantID: asset.tenantID,
    tenantName: tenantNames.get(asset.tenantID) ?? asset.tenantID,
    name: asset.name,
    ...(asset.fqdn !== undefined ? { fqdn: asset.fqdn } : {}),
    ipAddresses: [...asset.ipAddresses],
    macAddresses: [...asset.macAddresses],
    ...(asset.owner !== undefined ? { owner: asset.owner } : {}),
    ...(asset.os !== undefined ? { os: asset.os } : {}),
    categories: [...asset.categories],
    createdAt: rfc3339(asset.createdAt),
    updatedAt: rfc3339(asset.updatedAt)
  })

  app.get<{ Querystring: AssetQuerystring }>(
    "/assets",
    { schema: { querystring: AssetQuerystring, response: { 200: { type: "array", items: AssetBody }, "4xx": ErrorBody, "5xx": ErrorBody } } },
    async (request) => {
      const query = request.query
      const name = patternOf("name", query.name)
      const fqdn = patternOf("fqdn", query.fqdn)
      const ip = patternOf("ip", query.ip)
      const mac = patternOf("mac", query.mac)
      const tenantIds = tenantsFor(principalOf(request), "assets.read", query.tenantID ?? [])
      if (tenantIds.length === 0) return []
      const assets = await runOrFail(
        context,
        Effect.flatMap(AssetStore, (store) =>
          store.list({
            tenantIds,
            ids: (query.id ?? []) as Array<AssetId>,
            ...(name !== undefined ? { name } : {}),
            ...(fqdn !== undefined ? { fqdn } : {}),
            ...(ip !== undefined ? { ip } : {}),
            ...(mac !== undefined ? { mac } : {}),
            page: query.page,
            pageSize: PageSize
          })
        )
      )
      return assets.map(present)
    }
  )

  app.post<{ Body: ImportBody }>(
    "/assets/import",
    { schema: { body: ImportBody, response: { 200: ImportResult, "4xx": ErrorBody, "5xx": ErrorBody } } },
    async (request) => {
      const principal = principalOf(request)
      // KUMA's refusals, in its words: the shared tenant holds no assets, and an empty import is a mistake.
      if (request.body.tenantID === SharedTenantId) throw new ApiError(400, "import into shared tenant not allowed", "")
      if (request.body.assets.length === 0) throw new ApiError(400, "at least one asset required", "")
      const tenantId = writableTenant(principal, "assets.manage", request.body.tenantID)
      const records = request.body.assets
      return runOrFail(
        context,
        Effect.gen(function* () {
          const store = yield* AssetStore
          const categoryStore = yield* AssetCategoryStore
          // Categories are looked for in the target tenant only: another tenant's reads as unknown.
          const categoryOf = new Map<string, Option.Option<AssetCategory>>()
          const now = yield* Clock.currentTimeMillis
          const insertedIDs: Record<string, string> = {}
          const updatedIDs: Record<string, string> = {}
          const errors: Array<{ index: number; message: string }> = []
          for (const [index, record] of records.entries()) {
            const fqdn = fqdnKey(record.fqdn) === undefined ? undefined : record.fqdn
            const ipAddresses = record.ipAddresses ?? []
            if (fqdn === undefined && ipAddresses.length === 0) {
              errors.push({ index, message: "an asset needs an fqdn or at least one IP address" })
              continue
            }
            const wanted = new Set((record.categories ?? []).map((id) => id.toLowerCase()))
            const categories: Array<string> = []
            for (const id of wanted) {
              if (!categoryOf.has(id)) categoryOf.set(id, yield* categoryStore.get(tenantId, AssetCategoryId.make(id)))
              const category = categoryOf.get(id)!
              if (Option.isSome(category)) categories.push(category.value.id)
            }
            if (categories.length < wanted.size) {
              errors.push({ index, message: "unknown asset category" })
              continue
            }
            const os = osText(record.os)
            const identity = fqdn !== undefined ? { fqdn } : { ip: ipAddresses[0]! }
            const existing = yield* store.findByIdentity(tenantId, identity)
            const asset: Asset = {
              id: Option.match(existing, { onNone: () => AssetId.make(randomUUID()), onSome: (found) => found.id }),
              tenantID: tenantId,
              name: record.name ?? fqdn ?? ipAddresses[0]!,
              ...(fqdn !== undefined ? { fqdn } : {}),
              ipAddresses,
              macAddresses: record.macAddresses ?? [],
              ...(record.owner !== undefined ? { owner: record.owner } : {}),
              ...(os !== undefined ? { os } : {}),
              categories,
              createdAt: Option.match(existing, { onNone: () => now, onSome: (found) => found.createdAt }),
              updatedAt: now
            }
            yield* store.save(asset)
            if (Option.isSome(existing)) {
              updatedIDs[String(index)] = asset.id
              yield* recordAudit({ action: "asset updated", message: `asset ${asset.name} updated by import`, actor: principal.login, subjectTenantId: tenantId, details: { assetID: asset.id, name: asset.name } })
            } else {
              insertedIDs[String(index)] = asset.id
              yield* recordAudit({ action: "asset created", message: `asset ${asset.name} created by import`, actor: principal.login, subjectTenantId: tenantId, details: { assetID: asset.id, name: asset.name } })
            }
          }
          return { insertedIDs, updatedIDs, errors }
        })
      )
    }
  )

  app.post<{ Body: DeleteBody }>(
    "/assets/delete",
    { schema: { body: DeleteBody, response: { 204: { type: "null" }, "4xx": ErrorBody, "5xx": ErrorBody } } },
    async (request, reply) => {
      const principal = principalOf(request)
      const body = request.body
      const tenantId = writableTenant(principal, "assets.manage", body.tenantID)
      const ids = body.ids ?? []
      const fqdns = body.fqdns ?? []
      const ipAddresses = body.ipAddresses ?? []
      if (ids.length + fqdns.length + ipAddresses.length === 0) throw new ApiError(400, "nothing to delete", "give ids, fqdns or ipAddresses")
      await runOrFail(
        context,
        Effect.gen(function* () {
          const store = yield* AssetStore
          const doomed = new Map<string, Asset>()
          // Every lookup is confined to the target tenant: another tenant's asset is never found, so never deleted.
          const all = (filter: { ids?: Array<AssetId>; fqdn?: RegExp; ip?: RegExp }) =>
            Effect.gen(function* () {
              for (let page = 1; ; page++) {
                const found = yield* store.list({ tenantIds: [tenantId], ids: filter.ids ?? [], ...(filter.fqdn !== undefined ? { fqdn: filter.fqdn } : {}), ...(filter.ip !== undefined ? { ip: filter.ip } : {}), page, pageSize: PageSize })
                for (const asset of found) doomed.set(asset.id.toLowerCase(), asset)
                if (found.length < PageSize) return
              }
            })
          if (ids.length > 0) yield* all({ ids: ids as Array<AssetId> })
          for (const fqdn of fqdns) yield* all({ fqdn: exactly(fqdn) })
          for (const ip of ipAddresses) yield* all({ ip: exactly(ip) })
          if (doomed.size === 0) return
          yield* store.delete(tenantId, [...doomed.values()].map((asset) => asset.id))
          for (const asset of doomed.values()) {
            yield* recordAudit({ action: "asset deleted", message: `asset ${asset.name} deleted`, actor: principal.login, subjectTenantId: tenantId, details: { assetID: asset.id, name: asset.name } })
          }
        })
      )
      return reply.status(204).send()
    }
  )
}
