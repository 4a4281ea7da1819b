// Resources (SPEC §7): GET /api/v1/resources, and moving resources between tenants the only way
// SPEC §1 allows: export to a password-encrypted file, download, upload, table of contents, and
// import with an action per resource (0 skip, 1 import, 2 replace; 409 on conflicts); and
// DELETE /api/v1/resources/{id}, audited.
import { Clock, Effect, Option } from "effect"
import type { FastifyPluginAsync } from "fastify"
import { randomUUID } from "node:crypto"
import type { TenantId } from "../../model/Ids.ts"
import { ResourceFileId, type Resource, type ResourceFile, type ResourceId, type ResourceKind } from "../../model/Resource.ts"
import { SharedTenantId } from "../../model/Tenant.ts"
import type { UserId } from "../../model/User.ts"
import { ResourceFileStore } from "../../storage/ResourceFileStore.ts"
import { ResourceStore } from "../../storage/ResourceStore.ts"
import { runOrFail, type ApiContext } from "../ApiContext.ts"
import { PageParameter, PageSize, TenantIdsParameter } from "../ListQuery.ts"
import { patternOf } from "../QueryPattern.ts"
import { ApiError, ErrorBody } from "../ApiError.ts"
import { recordAudit } from "../AuditTrail.ts"
import { principalOf } from "../Auth.ts"
import { mayIn, tenantsFor, type Principal } from "../Principal.ts"
import { ArchiveUnreadable, openArchive, sealArchive, type ArchiveContents } from "../ResourceArchive.ts"

/** How long an exported or uploaded file is kept for download or import. */
export const ResourceFileLifetimeMillis = 24 * 60 * 60 * 1000

const Kinds = ["correlationRule", "correlator", "collector", "normalizer", "activeList", "filter", "dictionary", "connector", "destination", "storage", "agent"] as const

const ResourceQuerystring = {
  type: "object",
  properties: {
    page: PageParameter,
    id: { type: "array", items: { type: "string", format: "uuid" } },
    tenantID: TenantIdsParameter,
    kind: { type: "array", items: { type: "string", enum: Kinds } },
    name: { type: "string", maxLength: 512 },
    userID: { type: "string", format: "uuid" }
  },
  additionalProperties: false
} as const

interface ResourceQuerystring {
  page: number
  id?: Array<string>
  tenantID?: Array<string>
  kind?: Array<ResourceKind>
  name?: string
  userID?: string
}

const ResourceBody = {
  type: "object",
  properties: {
    id: { type: "string" },
    tenantID: { type: "string" },
    tenantName: { type: "string" },
    kind: { type: "string" },
    name: { type: "string" },
    description: { type: "string" },
    userID: { type: "string" },
    version: { type: "integer" },
    createdAt: { type: "string" },
    updatedAt: { type: "string" }
  },
  required: ["id", "tenantID", "tenantName", "kind", "name", "userID", "version", "createdAt", "updatedAt"]
} as const

const Password = { type: "string", minLength: 1, maxLength: 1024 } as const

const ExportBody = {
  type: "object",
  properties: {
    ids: { type: "array", items: { type: "string", format: "uuid" }, minItems: 1, maxItems: 10_000 },
    password: Password,
    tenantID: { type: "string", minLength: 1, maxLength: 64 }
  },
  required: ["ids", "password", "tenantID"],
  additionalProperties: false
} as const

interface ExportBody {
  ids: Array<string>
  password: string
  tenantID: string
}

const FileIdParams = {
  type: "object",
  properties: { id: { type: "string", format: "uuid" } },
  required: ["id"],
  additionalProperties: false
} as const

const TocBody = {
  type: "object",
  properties: {
    fileID: { type: "string", format: "uuid" },
    password: Password,
    /** The tenant to compare with; the file's own tenant when absent. */
    tenantID: { type: "string", minLength: 1, maxLength: 64 }
  },
  required: ["fileID", "password"],
  additionalProperties: false
} as const

interface TocBody {
  fileID: string
  password: string
  tenantID?: string
}

const TocEntry = {
  type: "object",
  properties: {
    id: { type: "string" },
    kind: { type: "string" },
    name: { type: "string" },
    description: { type: "string" },
    /** A resource with this id already exists in the tenant compared with: importing it needs action 2 (replace). */
    conflict: { type: "boolean" }
  },
  required: ["id", "kind", "name", "conflict"]
} as const

const ImportBody = {
  type: "object",
  properties: {
    fileID: { type: "string", format: "uuid" },
    password: Password,
    tenantID: { type: "string", minLength: 1, maxLength: 64 },
    actions: {
      type: "object",
      additionalProperties: { type: "integer", enum: [0, 1, 2] },
      maxProperties: 10_000
    }
  },
  required: ["fileID", "password", "tenantID", "actions"],
  additionalProperties: false
} as const

interface ImportBody {
  fileID: string
  password: string
  tenantID: string
  actions: Record<string, 0 | 1 | 2>
}

// The raw bytes of a resource file; the handler checks them, a JSON Schema cannot.
const FileBytes = { content: { "application/octet-stream": { schema: { description: "a resource file as downloaded from resources/download" } } } } as const

const FileIdAnswer = { type: "object", properties: { fileID: { type: "string" } }, required: ["fileID"] } as const
const UploadAnswer = { type: "object", properties: { id: { type: "string" } }, required: ["id"] } as const
const NoBody = { type: "null" } as const

const ResourceIdParams = {
  type: "object",
  properties: { id: { type: "string", format: "uuid" } },
  required: ["id"],
  additionalProperties: false
} as const

const DeleteQuerystring = {
  type: "object",
  properties: {
    /** The tenant whose resource is meant, when the same id names resources of several tenants the caller sees. */
    tenantID: { type: "string", minLength: 1, maxLength: 64 }
  },
  additionalProperties: false
} as const

// KUMA's ImportConflictsError: the ids to answer with 0 (skip) or 2 (replace) on the next try.
const ImportConflicts = {
  type: "object",
  properties: { ...ErrorBody.properties, conflicts: { type: "array", items: { type: "string" } } },
  required: [...ErrorBody.required, "conflicts"]
} as const

const ResourceNotFound = () => new ApiError(404, "resource not found", "")
const FileNotFound = () => new ApiError(404, "resource file not found", "")
const TenantNotFound = () => new ApiError(404, "tenant not found", "")


/** Tenants whose resources the caller reads: where their role allows it, and the shared tenant for everyone. */
const readableTenants = (principal: Principal, requested: ReadonlyArray<string>): Array<TenantId> => {
  const tenants = tenantsFor(principal, "resources.read", requested)
  const sharedWanted = requested.length === 0 || requested.includes(SharedTenantId)
  if (sharedWanted && !tenants.includes(SharedTenantId)) tenants.push(SharedTenantId)
  return tenants
}

/**
 * The tenant an import writes to: 403 when the caller sees it (a role there, or the shared
 * tenant) without the transfer permission; any other tenant answers as an unknown one.
 */
const importTenant = (principal: Principal, tenantId: string): TenantId => {
  if (!principal.roles.has(tenantId as TenantId) && tenantId !== SharedTenantId) throw TenantNotFound()
  if (!mayIn(principal, "resources.transfer", tenantId)) throw new ApiError(403, "access denied", `your role in tenant ${tenantId} does not allow importing resources`)
  return tenantId as TenantId
}

/** The tenant an export reads from: as for imports, except that the shared tenant's resources, readable by all, are exported by anyone who may transfer resources somewhere. */
const exportTenant = (principal: Principal, tenantId: string): TenantId => {
  if (tenantId === SharedTenantId && tenantsFor(principal, "resources.transfer").length > 0) return SharedTenantId
  return importTenant(principal, tenantId)
}

/** The caller may handle resource files at all: a transfer permission in some tenant. */
const mustTransferSomewhere = (principal: Principal): Array<TenantId> => {
  const tenants = tenantsFor(principal, "resources.transfer")
  if (tenants.length === 0) throw new ApiError(403, "access denied", "your roles do not allow moving resources")
  return tenants
}

/** Tenants whose resources the caller sees, their own before the shared one; narrowed to `requested` when given. */
const visibleResourceTenants = (principal: Principal, requested: string | undefined): Array<TenantId> => {
  const held = [...principal.roles.keys()].filter((tenantId) => tenantId !== SharedTenantId)
  const all = [...held, SharedTenantId]
  return requested === undefined ? all : all.filter((tenantId) => tenantId === requested)
}

const rfc3339 = (millis: number) => new Date(millis).toISOString()

export const resourcesRoutes = (context: ApiContext): FastifyPluginAsync => async (app) => {
  const tenantNames = new Map(context.tenants.map((tenant) => [tenant.id as string, tenant.name]))
  // Uploads are the file's raw bytes; only this plugin's routes see the parser.
  app.addContentTypeParser("application/octet-stream", { parseAs: "buffer" }, (_request, body, done) => done(null, body))

  /** The caller's own, unexpired file; any other answers as a missing one. */
  const fileOf = async (principal: Principal, id: string): Promise<ResourceFile> => {
    const file = await runOrFail(
      context,
      Effect.gen(function* () {
        const store = yield* ResourceFileStore
        const now = yield* Clock.currentTimeMillis
        const found = yield* store.get(ResourceFileId.make(id.toLowerCase()))
        return Option.filter(found, (file) => file.expiresAt > now && file.userID === principal.id)
      })
    )
    if (Option.isNone(file)) throw FileNotFound()
    return file.value
  }

  const open = async (file: ResourceFile, password: string): Promise<ArchiveContents> => {
    try {
      return await openArchive(file.bytes, password)
    } catch (error) {
      if (error instanceof ArchiveUnreadable) throw new ApiError(400, error.problem, "the resource file cannot be opened with this password")
      throw error
    }
  }

  const storeFile = (principal: Principal, tenantId: TenantId, bytes: Uint8Array) =>
    Effect.gen(function* () {
      const store = yield* ResourceFileStore
      const now = yield* Clock.currentTimeMillis
      const id = ResourceFileId.make(randomUUID())
      yield* store.put({ id, userID: principal.id as UserId, tenantID: tenantId, createdAt: now, expiresAt: now + ResourceFileLifetimeMillis, bytes })
      return id
    })

  app.get<{ Querystring: ResourceQuerystring }>(
    "/resources",
    { schema: { querystring: ResourceQuerystring, response: { 200: { type: "array", items: ResourceBody }, "4xx": ErrorBody, "5xx": ErrorBody } } },
    async (request) => {
      const query = request.query
      const name = patternOf("name", query.name)
      const tenantIds = readableTenants(principalOf(request), query.tenantID ?? [])
      const resources = await runOrFail(
        context,
        Effect.flatMap(ResourceStore, (store) =>
          store.list({
            tenantIds,
            ids: (query.id ?? []).map((id) => id.toLowerCase() as ResourceId),
            kinds: query.kind ?? [],
            ...(name !== undefined ? { name } : {}),
            ...(query.userID !== undefined ? { userID: query.userID.toLowerCase() as UserId } : {}),
            page: query.page,
            pageSize: PageSize
          })
        )
      )
      return resources.map((resource) => ({
        id: resource.id,
        tenantID: resource.tenantID,
        tenantName: tenantNames.get(resource.tenantID) ?? resource.tenantID,
        kind: resource.kind,
        name: resource.name,
        ...(resource.description !== undefined ? { description: resource.description } : {}),
        userID: resource.userID,
        version: resource.version,
        createdAt: rfc3339(resource.createdAt),
        updatedAt: rfc3339(resource.updatedAt)
      }))
    }
  )

  app.post<{ Body: ExportBody }>(
    "/resources/export",
    { schema: { body: ExportBody, response: { 200: FileIdAnswer, "4xx": ErrorBody, "5xx": ErrorBody } } },
    async (request) => {
      const principal = principalOf(request)
      const body = request.body
      const tenantId = exportTenant(principal, body.tenantID)
      const ids = [...new Set(body.ids.map((id) => id.toLowerCase() as ResourceId))]
      const found = await runOrFail(
        context,
        Effect.flatMap(ResourceStore, (store) => Effect.forEach(ids, (id) => store.get([tenantId], id)))
      )
      // Ids of other tenants are as unknown as ids of nothing: both are named back as not found.
      const missing = ids.filter((_, index) => Option.isNone(found[index]!))
      if (missing.length > 0) throw new ApiError(404, "resource not found", missing.join(","))
      const resources = found.flatMap((option) => (Option.isSome(option) ? [option.value] : []))
      const contents: ArchiveContents = {
        format: "corvus-resources",
        exportedAt: Date.now(),
        resources: resources.map((resource) => ({
          id: resource.id,
          kind: resource.kind,
          name: resource.name,
          ...(resource.description !== undefined ? { description: resource.description } : {}),
          version: resource.version,
          body: resource.body
        }))
      }
      const bytes = await sealArchive(contents, body.password)
      const fileID = await runOrFail(context, storeFile(principal, tenantId, bytes))
      return { fileID }
    }
  )

  app.get<{ Params: { id: string } }>(
    "/resources/download/:id",
    {
      schema: {
        params: FileIdParams,
        response: { 200: { content: { "application/octet-stream": { schema: { type: "string", format: "binary" } } } }, "4xx": ErrorBody, "5xx": ErrorBody }
      }
    },
    async (request, reply) => {
      const principal = principalOf(request)
      mustTransferSomewhere(principal)
      const file = await fileOf(principal, request.params.id)
      return reply
        .type("application/octet-stream")
        .header("content-disposition", `attachment; filename="resources-${file.id}.corvus"`)
        .send(Buffer.from(file.bytes.buffer, file.bytes.byteOffset, file.bytes.byteLength))
    }
  )

  app.post<{ Body: Buffer }>(
    "/resources/upload",
    { schema: { body: FileBytes, response: { 200: UploadAnswer, "4xx": ErrorBody, "5xx": ErrorBody } } },
    async (request) => {
      const principal = principalOf(request)
      const tenants = mustTransferSomewhere(principal)
      const body = request.body
      if (!Buffer.isBuffer(body)) throw new ApiError(415, "unsupported media type", "send the file as application/octet-stream")
      if (body.length < 8 || body.subarray(0, 8).toString("latin1") !== "CORVUSRF") throw new ApiError(400, "not a resource file", "")
      // The file is the uploader's; its tenant is only where it was placed, imports name their own target.
      const home = tenants.includes(SharedTenantId) ? tenants.find((tenant) => tenant !== SharedTenantId) ?? tenants[0]! : tenants[0]!
      const id = await runOrFail(context, storeFile(principal, home, new Uint8Array(body)))
      return { id }
    }
  )

  app.post<{ Body: TocBody }>(
    "/resources/toc",
    { schema: { body: TocBody, response: { 200: { type: "array", items: TocEntry }, "4xx": ErrorBody, "5xx": ErrorBody } } },
    async (request) => {
      const principal = principalOf(request)
      mustTransferSomewhere(principal)
      const body = request.body
      const file = await fileOf(principal, body.fileID)
      const compareWith = body.tenantID ?? file.tenantID
      if (!readableTenants(principal, []).includes(compareWith as TenantId)) throw TenantNotFound()
      const contents = await open(file, body.password)
      const existing = await runOrFail(
        context,
        Effect.flatMap(ResourceStore, (store) => Effect.forEach(contents.resources, (resource) => store.get([compareWith as TenantId], resource.id)))
      )
      return contents.resources.map((resource, index) => ({
        id: resource.id,
        kind: resource.kind,
        name: resource.name,
        ...(resource.description !== undefined ? { description: resource.description } : {}),
        conflict: Option.isSome(existing[index]!)
      }))
    }
  )

  app.post<{ Body: ImportBody }>(
    "/resources/import",
    { schema: { body: ImportBody, response: { 204: NoBody, 409: ImportConflicts, "4xx": ErrorBody, "5xx": ErrorBody } } },
    async (request, reply) => {
      const principal = principalOf(request)
      const body = request.body
      const tenantId = importTenant(principal, body.tenantID)
      const file = await fileOf(principal, body.fileID)
      const contents = await open(file, body.password)
      const actions = new Map(Object.entries(body.actions).map(([id, action]) => [id.toLowerCase(), action]))
      const inFile = new Set<string>(contents.resources.map((resource) => resource.id.toLowerCase()))
      const strangers = [...actions.keys()].filter((id) => !inFile.has(id))
      if (strangers.length > 0) throw new ApiError(400, "actions name resources that are not in the file", strangers.join(","))
      const chosen = contents.resources.filter((resource) => (actions.get(resource.id.toLowerCase()) ?? 0) !== 0)
      const outcome = await runOrFail(
        context,
        Effect.gen(function* () {
          const store = yield* ResourceStore
          const now = yield* Clock.currentTimeMillis
          // Only the target tenant is looked into: a resource of another tenant with the same id is no conflict, and no hint of it.
          const existing = yield* Effect.forEach(chosen, (resource) => store.get([tenantId], resource.id))
          const conflicts = chosen.filter((resource, index) => actions.get(resource.id.toLowerCase()) === 1 && Option.isSome(existing[index]!))
          if (conflicts.length > 0) return { conflicts: conflicts.map((resource) => resource.id) }
          for (const [index, archived] of chosen.entries()) {
            const previous = existing[index]!
            const resource: Resource = {
              id: archived.id,
              tenantID: tenantId,
              kind: archived.kind,
              name: archived.name,
              userID: principal.id as UserId,
              ...(archived.description !== undefined ? { description: archived.description } : {}),
              version: Option.match(previous, { onNone: () => archived.version, onSome: (found) => found.version + 1 }),
              createdAt: Option.match(previous, { onNone: () => now, onSome: (found) => found.createdAt }),
              updatedAt: now,
              body: archived.body
            }
            yield* store.save(resource)
            const replaced = Option.isSome(previous)
            yield* recordAudit({
              action: replaced ? "resource updated" : "resource added",
              message: `${resource.kind} resource ${resource.name} ${replaced ? "replaced" : "added"} by import`,
              actor: principal.login,
              subjectTenantId: tenantId,
              details: { resourceID: resource.id, kind: resource.kind, name: resource.name }
            })
          }
          return { conflicts: [] as Array<string> }
        })
      )
      // KUMA answers the conflicting ids as `conflicts`; message and details stay for clients that read only those.
      if (outcome.conflicts.length > 0) throw new ApiError(409, "resources already exist in the tenant", outcome.conflicts.join(","), { conflicts: outcome.conflicts })
      return reply.status(204).send()
    }
  )

  app.delete<{ Params: { id: string }; Querystring: { tenantID?: string } }>(
    "/resources/:id",
    { schema: { params: ResourceIdParams, querystring: DeleteQuerystring, response: { 204: NoBody, "4xx": ErrorBody, "5xx": ErrorBody } } },
    async (request, reply) => {
      const principal = principalOf(request)
      const id = request.params.id.toLowerCase() as ResourceId
      const tenantIds = visibleResourceTenants(principal, request.query.tenantID)
      const outcome = await runOrFail(
        context,
        Effect.gen(function* () {
          const store = yield* ResourceStore
          // Only tenants the caller sees are looked into: another tenant's resource is never found, so never deleted.
          const found: Array<Resource> = []
          for (const tenantId of tenantIds) {
            const resource = yield* store.get([tenantId], id)
            if (Option.isSome(resource)) found.push(resource.value)
          }
          if (found.length === 0) return { _tag: "missing" as const }
          if (found.length > 1) return { _tag: "ambiguous" as const, tenants: found.map((resource) => resource.tenantID) }
          const resource = found[0]!
          if (!mayIn(principal, "resources.manage", resource.tenantID)) return { _tag: "denied" as const, tenantId: resource.tenantID }
          const deleted = yield* store.delete(resource.tenantID, resource.id)
          // Gone between the lookup and the delete: someone else deleted it, and audited that.
          if (!deleted) return { _tag: "missing" as const }
          yield* recordAudit({
            action: "resource deleted",
            message: `${resource.kind} resource ${resource.name} deleted`,
            actor: principal.login,
            subjectTenantId: resource.tenantID,
            details: { resourceID: resource.id, kind: resource.kind, name: resource.name }
          })
          return { _tag: "deleted" as const }
        })
      )
      switch (outcome._tag) {
        case "missing":
          throw ResourceNotFound()
        case "ambiguous":
          throw new ApiError(409, "the id names resources of several tenants", `name one of them with tenantID: ${outcome.tenants.join(",")}`)
        case "denied":
          throw new ApiError(403, "access denied", `your role in tenant ${outcome.tenantId} does not allow deleting resources`)
        case "deleted":
          return reply.status(204).send()
      }
    }
  )
}
