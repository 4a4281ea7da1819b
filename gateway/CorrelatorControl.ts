// The gateway's port to the running correlators' rules (SPEC §4, §7; issue 8 "rules and
// correlators"): which correlators run, at which revision, with which rules; checking a new
// document exactly as a deploy would; deploying it as the correlator's next revision (the running
// partitions reload). The cluster provides the production implementation (over the node's own
// control plane, the path `corvus rules deploy` takes); the in-memory one stands in for it in tests.
import { Data, Effect, Either, Option, Schema } from "effect"
import type { TenantId } from "../model/Ids.ts"
import { decodeResourceDocument } from "../model/ResourceDocument.ts"
import { CorrelatorSpec } from "../model/Rule.ts"
import type { ApiContext } from "./ApiContext.ts"

/** How a correlator document is written. */
export type CorrelatorDocumentFormat = "yaml" | "json"

/** A correlator document as a deploy takes it. */
export interface CorrelatorDocument {
  readonly document: string
  readonly format: CorrelatorDocumentFormat
}

/** A running correlator at its current revision. */
export interface CorrelatorView {
  readonly id: string
  readonly tenantID: TenantId
  readonly name: string
  /** The current revision in the cluster's registry (from 1); 0 before anything was stored. */
  readonly revision: number
  /** How many partitions the correlator runs in. */
  readonly partitions: number
  readonly spec: CorrelatorSpec
  /** The spec as the YAML text `corvus rules deploy` reads (a file with this text deploys this spec). */
  readonly document: string
}

/** Where a deploy (or a validation: created false) left the correlator. */
export interface DeployOutcome {
  readonly correlatorId: string
  readonly revision: number
  readonly created: boolean
}

/** The document does not decode or its rules do not compile; `message` is the deploy's own words (every field path and reason). */
export class CorrelatorDocumentInvalid extends Data.TaggedError("CorrelatorDocumentInvalid")<{ readonly message: string }> {}

/** The change cannot be applied as asked (a partitioning change); `message` is the deploy's own words. */
export class CorrelatorChangeRefused extends Data.TaggedError("CorrelatorChangeRefused")<{ readonly message: string }> {}

/** The document names a correlator that does not run. */
export class CorrelatorNotRunning extends Data.TaggedError("CorrelatorNotRunning")<{ readonly correlatorId: string }> {}

/** The node or the registry could not be reached; the client sees a 503 without the cause. */
export class CorrelatorControlError extends Data.TaggedError("CorrelatorControlError")<{ readonly message: string; readonly cause?: unknown }> {}

export type DeployFailure = CorrelatorDocumentInvalid | CorrelatorChangeRefused | CorrelatorNotRunning | CorrelatorControlError

export interface CorrelatorControlShape {
  /** Every running correlator, whatever its tenant (the routes filter). */
  readonly list: Effect.Effect<ReadonlyArray<CorrelatorView>, CorrelatorControlError>
  /** One running correlator; none when no such correlator runs. */
  readonly get: (correlatorId: string) => Effect.Effect<Option.Option<CorrelatorView>, CorrelatorControlError>
  /** Checks the document as a deploy would, storing nothing; answers the current revision. */
  readonly validate: (document: CorrelatorDocument) => Effect.Effect<DeployOutcome, DeployFailure>
  /** Stores the document as the correlator's next revision (nothing when it equals the current one). */
  readonly deploy: (document: CorrelatorDocument) => Effect.Effect<DeployOutcome, DeployFailure>
}

const encodeSpec = Schema.encodeSync(CorrelatorSpec)

/** The spec as JSON, as a deployment file carries it. */
export const specJsonOf = (spec: CorrelatorSpec): Record<string, unknown> => encodeSpec(spec) as unknown as Record<string, unknown>

const NamesAnId = Schema.Struct({ id: Schema.optional(Schema.Unknown) })

/** The id a document names, read as the node reads the document but without judging the rest; undefined when it names none readable. */
export const idNamedIn = (document: CorrelatorDocument): unknown =>
  Either.match(Effect.runSync(Effect.either(decodeResourceDocument(NamesAnId, document.document, document.format === "yaml" ? "document.yaml" : "document.json"))), {
    onLeft: () => undefined,
    onRight: (named) => named.id
  })

/** Decodes a document the way the node does (the same schema, the same messages). */
export const decodeCorrelatorDocument = (document: CorrelatorDocument): Effect.Effect<CorrelatorSpec, CorrelatorDocumentInvalid> =>
  decodeResourceDocument(CorrelatorSpec, document.document, document.format === "yaml" ? "document.yaml" : "document.json").pipe(
    Effect.mapError((message) => new CorrelatorDocumentInvalid({ message }))
  )

/** A correlator the in-memory control runs. */
export interface MemoryCorrelator {
  readonly spec: CorrelatorSpec
  /** Default 1. */
  readonly partitions?: number
}

/** The in-memory control with the deploys it stored, so tests can read them. */
export interface MemoryCorrelatorControl extends CorrelatorControlShape {
  readonly deploys: ReadonlyArray<CorrelatorSpec>
  /** The current revision of a correlator (0 when unknown). */
  readonly revisionOf: (correlatorId: string) => number
}

/**
 * Runs `correlators` in memory, each at revision 1. Documents are decoded by the node's schema
 * (so its messages are the node's); rules are not compiled (the engine is the cluster's).
 */
export const makeMemory = (correlators: ReadonlyArray<MemoryCorrelator>): MemoryCorrelatorControl => {
  const running = new Map(correlators.map((correlator) => [correlator.spec.id as string, { spec: correlator.spec, partitions: correlator.partitions ?? 1, revision: 1 }]))
  const deploys: Array<CorrelatorSpec> = []
  const viewOf = (entry: { spec: CorrelatorSpec; partitions: number; revision: number }): CorrelatorView => ({
    id: entry.spec.id,
    tenantID: entry.spec.tenantId,
    name: entry.spec.name,
    revision: entry.revision,
    partitions: entry.partitions,
    spec: entry.spec,
    // JSON is YAML: the stand-in does not format YAML as the node does, and any YAML reader reads it.
    document: JSON.stringify(specJsonOf(entry.spec), null, 2)
  })
  const check = (document: CorrelatorDocument) =>
    Effect.flatMap(decodeCorrelatorDocument(document), (spec) => {
      const entry = running.get(spec.id)
      if (entry === undefined) return Effect.fail(new CorrelatorNotRunning({ correlatorId: spec.id }))
      const unchanged = JSON.stringify(specJsonOf(entry.spec)) === JSON.stringify(specJsonOf(spec))
      return Effect.succeed({ spec, entry, unchanged })
    })
  return {
    deploys,
    revisionOf: (correlatorId) => running.get(correlatorId)?.revision ?? 0,
    list: Effect.sync(() => [...running.values()].map(viewOf)),
    get: (correlatorId) => Effect.sync(() => Option.map(Option.fromNullable(running.get(correlatorId)), viewOf)),
    validate: (document) => Effect.map(check(document), ({ spec, entry }) => ({ correlatorId: spec.id, revision: entry.revision, created: false })),
    deploy: (document) =>
      Effect.map(check(document), ({ spec, entry, unchanged }) => {
        if (unchanged) return { correlatorId: spec.id, revision: entry.revision, created: false }
        entry.spec = spec
        entry.revision += 1
        deploys.push(spec)
        return { correlatorId: spec.id, revision: entry.revision, created: true }
      })
  }
}

/** Where no cluster is wired to the gateway: no correlator runs. */
export const noCorrelators: CorrelatorControlShape = {
  list: Effect.succeed([]),
  get: () => Effect.succeed(Option.none()),
  validate: (document) => Effect.flatMap(decodeCorrelatorDocument(document), (spec) => Effect.fail(new CorrelatorNotRunning({ correlatorId: spec.id }))),
  deploy: (document) => Effect.flatMap(decodeCorrelatorDocument(document), (spec) => Effect.fail(new CorrelatorNotRunning({ correlatorId: spec.id })))
}

/** The control the API server was given, or `noCorrelators`. */
export const correlatorControlOf = (context: ApiContext): CorrelatorControlShape => context.correlatorControl ?? noCorrelators
