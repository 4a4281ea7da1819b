// Active lists of running correlators (SPEC §7): GET /api/v1/activeLists?correlatorID=, a list's
// records (GET activeLists/records), POST activeLists/import (csv, tsv or internal; the body is the
// file), POST activeLists/records/delete and GET activeLists/export (the file an import reads),
// the changes and the export audited. Everything goes to the correlator through the
// ActiveListImporter port.
import { Effect, Option } from "effect"
import type { FastifyPluginAsync } from "fastify"
import { runOrFail, type ApiContext } from "../ApiContext.ts"
import { ApiError, ErrorBody } from "../ApiError.ts"
import { ActiveListFileTypes, parseActiveListFile, writeActiveListFile, type ActiveListFormat } from "../ActiveListFile.ts"
import { activeListImporterOf, ActiveListImporterError, type ActiveListSummary, type CorrelatorActiveLists } from "../ActiveListImporter.ts"
import { recordAudit } from "../AuditTrail.ts"
import { principalOf } from "../Auth.ts"
import { PageParameter, PageSize } from "../ListQuery.ts"
import { mayIn, type Principal } from "../Principal.ts"
import { patternOf } from "../QueryPattern.ts"

const CorrelatorID = { type: "string", pattern: "^[A-Za-z0-9_-]{1,64}$" } as const

const ListQuerystring = {
  type: "object",
  properties: { correlatorID: CorrelatorID },
  required: ["correlatorID"],
  additionalProperties: false
} as const

const ImportQuerystring = {
  type: "object",
  properties: {
    correlatorID: CorrelatorID,
    activeListID: { type: "string", minLength: 1, maxLength: 64 },
    activeListName: { type: "string", minLength: 1, maxLength: 256 },
    format: { type: "string", enum: ["csv", "tsv", "internal"] },
    keyField: { type: "string", minLength: 1, maxLength: 256 },
    clear: { type: "string" }
  },
  required: ["correlatorID", "format"],
  additionalProperties: false
} as const

interface ImportQuerystring {
  correlatorID: string
  activeListID?: string
  activeListName?: string
  format: ActiveListFormat
  keyField?: string
  clear?: string
}

// The file itself, read as bytes whatever type the client names; the handler parses and checks it.
const ImportFile = {
  content: {
    "text/csv": { schema: { description: "CSV with a header line; format=csv" } },
    "text/tab-separated-values": { schema: { description: "TSV with a header line; format=tsv" } },
    "application/x-ndjson": { schema: { description: "one JSON object {Key, Record} per line; format=internal" } }
  }
} as const

const ActiveListID = { type: "string", minLength: 1, maxLength: 64 } as const
const ActiveListName = { type: "string", minLength: 1, maxLength: 256 } as const

const RecordsQuerystring = {
  type: "object",
  properties: {
    correlatorID: CorrelatorID,
    activeListID: ActiveListID,
    activeListName: ActiveListName,
    page: PageParameter,
    /** A case-insensitive regular expression the record's key must match. */
    key: { type: "string", maxLength: 512 }
  },
  required: ["correlatorID"],
  additionalProperties: false
} as const

interface RecordsQuerystring {
  correlatorID: string
  activeListID?: string
  activeListName?: string
  page: number
  key?: string
}

const nullableTime = { type: ["string", "null"], format: "date-time" } as const

const ListRecord = {
  type: "object",
  properties: {
    key: { type: "string" },
    fields: { type: "object", additionalProperties: { type: "string" } },
    /** When the record was written (the correlator's stream time); null when not known. */
    createdAt: nullableTime,
    /** When it expires; null for a record that never does. */
    expiresAt: nullableTime
  },
  required: ["key", "fields", "createdAt", "expiresAt"]
} as const

/** Keys deleted per request at most; the audit event names the first few. */
const MaxKeysPerDeletion = 10_000
const KeysNamedInAudit = 50

const DeleteBody = {
  type: "object",
  properties: {
    correlatorID: CorrelatorID,
    activeListID: ActiveListID,
    activeListName: ActiveListName,
    keys: { type: "array", items: { type: "string", minLength: 1, maxLength: 1024 }, minItems: 1, maxItems: MaxKeysPerDeletion }
  },
  required: ["correlatorID", "keys"],
  additionalProperties: false
} as const

interface DeleteBody {
  correlatorID: string
  activeListID?: string
  activeListName?: string
  keys: Array<string>
}

const ExportQuerystring = {
  type: "object",
  properties: {
    correlatorID: CorrelatorID,
    activeListID: ActiveListID,
    activeListName: ActiveListName,
    format: { type: "string", enum: ["csv", "tsv", "internal"] },
    /** csv and tsv: the header field holding each record's key (default: a field holding it in every record, else "key"). */
    keyField: { type: "string", minLength: 1, maxLength: 256 }
  },
  required: ["correlatorID", "format"],
  additionalProperties: false
} as const

interface ExportQuerystring {
  correlatorID: string
  activeListID?: string
  activeListName?: string
  format: ActiveListFormat
  keyField?: string
}

const ExportFile = {
  description: "the list as an import file; importing it with the same format (and the key field the header starts with) gives back the records",
  content: {
    "text/csv": { schema: { type: "string" } },
    "text/tab-separated-values": { schema: { type: "string" } },
    "application/x-ndjson": { schema: { type: "string" } }
  }
} as const

const ListSummary = {
  type: "object",
  properties: { id: { type: "string" }, name: { type: "string" }, count: { type: "integer" } },
  required: ["id", "name", "count"]
} as const

const CorrelatorNotFound = () => new ApiError(404, "correlator not found", "")
const Unreachable = () => new ApiError(503, "correlator unreachable", "the correlator did not answer; try again")

const rfc3339 = (millis: number | undefined): string | null => (millis === undefined || !Number.isFinite(millis) ? null : new Date(millis).toISOString())

export const activeListsRoutes = (context: ApiContext): FastifyPluginAsync => async (app) => {
  const importer = activeListImporterOf(context)

  const mapImporterError = (error: unknown) => (error instanceof ActiveListImporterError ? Unreachable() : undefined)

  /** The correlator when the caller holds a role in its tenant allowing `read`; any other answers as an unknown one. */
  const correlatorFor = async (principal: Principal, correlatorId: string): Promise<CorrelatorActiveLists> => {
    const found = await runOrFail(context, importer.lists(correlatorId), mapImporterError)
    if (Option.isNone(found) || !mayIn(principal, "activeLists.read", found.value.tenantID)) throw CorrelatorNotFound()
    return found.value
  }

  /** The list the query names by id (any case) or name; 400 when it names none, 404 when the correlator has no such list. */
  const listOf = (correlator: CorrelatorActiveLists, named: { readonly activeListID?: string | undefined; readonly activeListName?: string | undefined }): ActiveListSummary => {
    if (named.activeListID === undefined && named.activeListName === undefined) throw new ApiError(400, "active list not named", "give activeListID or activeListName")
    const list = correlator.lists.find((candidate) => (named.activeListID !== undefined ? candidate.id.toLowerCase() === named.activeListID.toLowerCase() : candidate.name === named.activeListName))
    if (list === undefined) throw new ApiError(404, "active list not found", "")
    return list
  }

  app.get<{ Querystring: { correlatorID: string } }>(
    "/activeLists",
    { schema: { querystring: ListQuerystring, response: { 200: { type: "array", items: ListSummary }, "4xx": ErrorBody, "5xx": ErrorBody } } },
    async (request) => {
      const correlator = await correlatorFor(principalOf(request), request.query.correlatorID)
      return correlator.lists.map((list) => ({ id: list.id, name: list.name, count: list.count }))
    }
  )

  app.get<{ Querystring: RecordsQuerystring }>(
    "/activeLists/records",
    { schema: { querystring: RecordsQuerystring, response: { 200: { type: "array", items: ListRecord }, "4xx": ErrorBody, "5xx": ErrorBody } } },
    async (request) => {
      const query = request.query
      const pattern = patternOf("key", query.key)
      const correlator = await correlatorFor(principalOf(request), query.correlatorID)
      const list = listOf(correlator, query)
      const page = await runOrFail(
        context,
        importer.listRecords(query.correlatorID, list.name, { keyPattern: pattern !== undefined ? query.key : undefined, offset: (query.page - 1) * PageSize, limit: PageSize }),
        mapImporterError
      )
      return page.records.map((record) => ({ key: record.key, fields: record.fields, createdAt: rfc3339(record.createdAt), expiresAt: rfc3339(record.expiresAt) }))
    }
  )

  app.post<{ Body: DeleteBody }>(
    "/activeLists/records/delete",
    { schema: { body: DeleteBody, response: { 204: { type: "null" }, "4xx": ErrorBody, "5xx": ErrorBody } } },
    async (request, reply) => {
      const principal = principalOf(request)
      const body = request.body
      const correlator = await correlatorFor(principal, body.correlatorID)
      if (!mayIn(principal, "activeLists.import", correlator.tenantID)) throw new ApiError(403, "access denied", "your role in the correlator's tenant does not allow changing active lists")
      const list = listOf(correlator, body)
      const keys = [...new Set(body.keys)]
      await runOrFail(
        context,
        Effect.gen(function* () {
          yield* importer.deleteRecords(body.correlatorID, list.name, keys)
          const named = keys.slice(0, KeysNamedInAudit)
          yield* recordAudit({
            action: "active list item deleted",
            message: `${keys.length} ${keys.length === 1 ? "record" : "records"} deleted from active list ${list.name}`,
            actor: principal.login,
            subjectTenantId: correlator.tenantID,
            details: {
              correlatorID: body.correlatorID,
              activeListID: list.id,
              activeListName: list.name,
              records: String(keys.length),
              // The keys as a JSON array, the first ones only: one request may name thousands.
              keys: JSON.stringify(named),
              ...(keys.length > named.length ? { keysOmitted: String(keys.length - named.length) } : {})
            }
          })
        }),
        mapImporterError
      )
      return reply.status(204).send()
    }
  )

  app.get<{ Querystring: ExportQuerystring }>(
    "/activeLists/export",
    { schema: { querystring: ExportQuerystring, response: { 200: ExportFile, "4xx": ErrorBody, "5xx": ErrorBody } } },
    async (request, reply) => {
      const principal = principalOf(request)
      const query = request.query
      const correlator = await correlatorFor(principal, query.correlatorID)
      const list = listOf(correlator, query)
      const written = await runOrFail(
        context,
        Effect.gen(function* () {
          const records = yield* importer.exportRecords(query.correlatorID, list.name)
          const file = writeActiveListFile(records, query.format, query.keyField)
          if (!file.ok) return file
          yield* recordAudit({
            action: "active list exported",
            message: `${records.length} records exported from active list ${list.name}`,
            actor: principal.login,
            subjectTenantId: correlator.tenantID,
            details: {
              correlatorID: query.correlatorID,
              activeListID: list.id,
              activeListName: list.name,
              format: query.format,
              records: String(records.length),
              ...(file.keyField !== undefined ? { keyField: file.keyField } : {})
            }
          })
          return file
        }),
        mapImporterError
      )
      if (!written.ok) throw new ApiError(409, `the list cannot be exported as ${query.format}`, written.reason)
      const extension = query.format === "internal" ? "jsonl" : query.format
      return reply
        .type(`${ActiveListFileTypes[query.format]}; charset=utf-8`)
        .header("content-disposition", `attachment; filename="${list.id}.${extension}"`)
        .send(Buffer.from(written.text, "utf8"))
    }
  )

  // The import body is the file itself, whatever type the client names: this child reads every body as bytes.
  await app.register(async (files) => {
    files.removeAllContentTypeParsers()
    files.addContentTypeParser("*", { parseAs: "buffer" }, (_request, body, done) => done(null, body))

    files.post<{ Querystring: ImportQuerystring; Body: Buffer | undefined }>(
      "/activeLists/import",
      {
        schema: {
          querystring: ImportQuerystring,
          body: ImportFile,
          response: { 204: { type: "null" }, "4xx": ErrorBody, "5xx": ErrorBody }
        }
      },
      async (request, reply) => {
        const principal = principalOf(request)
        const query = request.query
        if (query.activeListID === undefined && query.activeListName === undefined) throw new ApiError(400, "active list not named", "give activeListID or activeListName")
        if (query.format !== "internal" && query.keyField === undefined) throw new ApiError(400, "keyField is required", `the ${query.format} format needs keyField, the header field that keys each record`)
        const correlator = await correlatorFor(principal, query.correlatorID)
        if (!mayIn(principal, "activeLists.import", correlator.tenantID)) throw new ApiError(403, "access denied", "your role in the correlator's tenant does not allow importing into active lists")
        const list = listOf(correlator, query)
        const body = request.body
        const bytes = Buffer.isBuffer(body) ? new Uint8Array(body.buffer, body.byteOffset, body.byteLength) : new Uint8Array()
        const parsed = parseActiveListFile(bytes, query.format, query.keyField)
        if (!parsed.ok) throw new ApiError(400, `invalid ${query.format} file`, `line ${parsed.problem.line}: ${parsed.problem.reason}`)
        const clear = query.clear !== undefined
        await runOrFail(
          context,
          Effect.gen(function* () {
            yield* importer.importRecords(query.correlatorID, list.name, parsed.records, clear)
            const details = { correlatorID: query.correlatorID, activeListID: list.id, activeListName: list.name }
            if (clear) yield* recordAudit({ action: "active list cleared", message: `active list ${list.name} cleared before import`, actor: principal.login, subjectTenantId: correlator.tenantID, details })
            yield* recordAudit({
              action: "active list imported",
              message: `${parsed.records.length} records imported into active list ${list.name}`,
              actor: principal.login,
              subjectTenantId: correlator.tenantID,
              details: { ...details, format: query.format, records: String(parsed.records.length) }
            })
          }),
          mapImporterError
        )
        return reply.status(204).send()
      }
    )
  })
}
