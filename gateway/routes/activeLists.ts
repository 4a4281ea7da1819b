// Active lists of running correlators (SPEC §7): GET /api/v1/activeLists?correlatorID= and
// POST activeLists/import (csv, tsv or internal; the body is the file), audited. The records go
// to the correlator through the ActiveListImporter port.
import { Effect, Option } from "effect"
import type { FastifyPluginAsync } from "fastify"
import { runOrFail, type ApiContext } from "../ApiContext.ts"
import { ApiError, ErrorBody } from "../ApiError.ts"
import { parseActiveListFile, type ActiveListFormat } from "../ActiveListFile.ts"
import { activeListImporterOf, ActiveListImporterError, type CorrelatorActiveLists } from "../ActiveListImporter.ts"
import { recordAudit } from "../AuditTrail.ts"
import { principalOf } from "../Auth.ts"
import { mayIn, type Principal } from "../Principal.ts"

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

const ListSummary = {
  type: "object",
  properties: { id: { type: "string" }, name: { type: "string" }, count: { type: "integer" } },
  required: ["id", "name", "count"]
} as const

const CorrelatorNotFound = () => new ApiError(404, "correlator not found", "")
const Unreachable = () => new ApiError(503, "correlator unreachable", "the correlator did not answer; try again")

export const activeListsRoutes = (context: ApiContext): FastifyPluginAsync => async (app) => {
  const importer = activeListImporterOf(context)
  // The import body is the file itself, whatever type the client names: read every body as bytes here.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser("*", { parseAs: "buffer" }, (_request, body, done) => done(null, body))

  const mapImporterError = (error: unknown) => (error instanceof ActiveListImporterError ? Unreachable() : undefined)

  /** The correlator when the caller holds a role in its tenant allowing `read`; any other answers as an unknown one. */
  const correlatorFor = async (principal: Principal, correlatorId: string): Promise<CorrelatorActiveLists> => {
    const found = await runOrFail(context, importer.lists(correlatorId), mapImporterError)
    if (Option.isNone(found) || !mayIn(principal, "activeLists.read", found.value.tenantID)) throw CorrelatorNotFound()
    return found.value
  }

  app.get<{ Querystring: { correlatorID: string } }>(
    "/activeLists",
    { schema: { querystring: ListQuerystring, response: { 200: { type: "array", items: ListSummary }, "4xx": ErrorBody, "5xx": ErrorBody } } },
    async (request) => {
      const correlator = await correlatorFor(principalOf(request), request.query.correlatorID)
      return correlator.lists.map((list) => ({ id: list.id, name: list.name, count: list.count }))
    }
  )

  app.post<{ Querystring: ImportQuerystring; Body: Buffer | undefined }>(
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
      const list = correlator.lists.find((candidate) => (query.activeListID !== undefined ? candidate.id.toLowerCase() === query.activeListID.toLowerCase() : candidate.name === query.activeListName))
      if (list === undefined) throw new ApiError(404, "active list not found", "")
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
}
