// The gateway's ActiveListImporter on a running node (SPEC §7 activeLists): the correlator's
// tenant and declared lists come from the correlator registry (the deployment's spec before the
// first deploy); the record counts and the records themselves from the engines, asked over the
// control plane of whichever member holds each partition; an import or a deletion of records
// travels through the partitions' own input subject (a `listImport` match entry), so it is applied
// in stream order and replay and handoff apply it again at the same position.
import { Clock, Duration, Effect, Option } from "effect"
import {
  type ActiveListEntry,
  activeListIdOf,
  ActiveListImporterError,
  type ActiveListImportRecord,
  type ActiveListImporterShape,
  type ActiveListRecordsPage,
  type ActiveListRecordsQuery,
  type CorrelatorActiveLists
} from "../gateway/ActiveListImporter.ts"
import type { CorrelatorId } from "../model/Ids.ts"
import type { CorrelatorSpec } from "../model/Rule.ts"
import * as ControlClient from "./control/ControlClient.ts"
import type { PartitionActiveLists } from "./control/ControlServer.ts"
import { CorrelatorRegistry } from "./CorrelatorRegistry.ts"
import { EventBus } from "./EventBus.ts"
import type { SupervisedCorrelator } from "./PartitionSupervisor.ts"
import { Topics, type ListImport, type PartitionMatch } from "./Topics.ts"

export interface ActiveListBridgeOptions {
  /** The node's correlators with their partition counts, as the supervisor runs them. */
  readonly correlators: ReadonlyArray<SupervisedCorrelator>
  /** The node's own control plane: it names every partition's owner and the members' addresses. */
  readonly controlAddress: string
  /** How long an import waits for its records to be applied before answering anyway (they are durable by then). Default 10 s. */
  readonly applyTimeout?: Duration.DurationInput
  /** Deadline of each control call to another member. Default 2 s. */
  readonly memberDeadline?: Duration.DurationInput
}

// An import is cut so one bus message stays well under NATS's default 1 MB payload.
const MaxRecordsPerMessage = 2_000
const MaxBytesPerMessage = 256 * 1024
// Records asked per control call while exporting a list (the server may answer fewer).
const ExportPageSize = 10_000

const recordBytes = (record: ActiveListImportRecord): number => {
  let bytes = record.key.length + 32
  for (const name in record.fields) bytes += name.length + record.fields[name]!.length + 8
  return bytes
}

/** The records in consecutive parts, each small enough for one message; one empty part for none. */
export const partsOf = (records: ReadonlyArray<ActiveListImportRecord>): Array<ReadonlyArray<ActiveListImportRecord>> => {
  const parts: Array<Array<ActiveListImportRecord>> = [[]]
  let bytes = 0
  for (const record of records) {
    const size = recordBytes(record)
    const current = parts[parts.length - 1]!
    if (current.length > 0 && (current.length >= MaxRecordsPerMessage || bytes + size > MaxBytesPerMessage)) {
      parts.push([record])
      bytes = size
    } else {
      current.push(record)
      bytes += size
    }
  }
  return parts
}

const failure = (message: string) => (cause: unknown) => new ActiveListImporterError({ message, cause })

/** The importer over the running cluster the node belongs to. */
export const make = (options: ActiveListBridgeOptions): Effect.Effect<ActiveListImporterShape, never, EventBus | Topics | CorrelatorRegistry> =>
  Effect.gen(function* () {
    const bus = yield* EventBus
    const topics = yield* Topics
    const registry = yield* CorrelatorRegistry
    const applyTimeoutMs = Duration.toMillis(options.applyTimeout ?? Duration.seconds(10))
    const memberDeadline = options.memberDeadline ?? Duration.seconds(2)
    const supervisedOf = (correlatorId: string) => options.correlators.find(({ spec }) => spec.id === correlatorId)

    // What runs now: the registry's newest revision, or the deployment's before anything was deployed.
    const currentSpec = (supervised: SupervisedCorrelator): Effect.Effect<CorrelatorSpec, ActiveListImporterError> =>
      registry.current(supervised.spec.id).pipe(
        Effect.map(Option.match({ onNone: () => supervised.spec, onSome: (deployed) => deployed.spec })),
        Effect.mapError(failure(`correlator registry unavailable for ${supervised.spec.id}`))
      )

    // One answer per partition, each from the member that holds it; a partition nobody holds (or
    // whose holder did not answer, or let it go meanwhile) cannot be read: the caller may retry.
    const perPartition = <P extends { readonly partition: number }>(
      supervised: SupervisedCorrelator,
      what: string,
      ask: (client: ControlClient.ControlClient) => Effect.Effect<{ readonly partitions: ReadonlyArray<P> }, ControlClient.ControlError>
    ): Effect.Effect<ReadonlyArray<P>, ActiveListImporterError> =>
      Effect.scoped(
        Effect.gen(function* () {
          const correlatorId = supervised.spec.id
          const asked = yield* ControlClient.make(options.controlAddress)
          const table = yield* asked.getPartitionTable(correlatorId)
          const owners = new Set<string>()
          for (const entry of table.partitions) {
            if (entry.owner === undefined) return yield* new ActiveListImporterError({ message: `partition ${entry.partition} of correlator ${correlatorId} has no owner` })
            owners.add(entry.owner.nodeId)
          }
          const answers = yield* Effect.forEach(
            [...owners],
            (nodeId) =>
              Effect.gen(function* () {
                if (nodeId === table.nodeId) return yield* ask(asked)
                const member = table.members.find((candidate) => candidate.nodeId === nodeId)
                if (member === undefined) return yield* new ActiveListImporterError({ message: `owner ${nodeId} of a partition of ${correlatorId} is not a live member` })
                return yield* ask(yield* ControlClient.make(member.address, { deadline: memberDeadline }))
              }),
            { concurrency: "unbounded" }
          )
          const reported = new Map(answers.flatMap((answer) => answer.partitions.map((partition) => [partition.partition, partition] as const)))
          return yield* Effect.forEach(table.partitions, (entry) => {
            const found = reported.get(entry.partition)
            return found !== undefined ? Effect.succeed(found) : Effect.fail(new ActiveListImporterError({ message: `partition ${entry.partition} of correlator ${correlatorId} moved while being read` }))
          })
        })
      ).pipe(Effect.mapError((error) => (error._tag === "ActiveListImporterError" ? error : failure(`${what} of ${supervised.spec.id} could not be read`)(error))))

    const partitionLists = (supervised: SupervisedCorrelator): Effect.Effect<ReadonlyArray<PartitionActiveLists>, ActiveListImporterError> =>
      perPartition(supervised, "active lists", (client) => client.getActiveLists(supervised.spec.id))

    const lists = (correlatorId: string): Effect.Effect<Option.Option<CorrelatorActiveLists>, ActiveListImporterError> =>
      Effect.gen(function* () {
        const supervised = supervisedOf(correlatorId)
        if (supervised === undefined) return Option.none()
        const spec = yield* currentSpec(supervised)
        if (spec.activeLists.length === 0) return Option.some({ tenantID: spec.tenantId, lists: [] })
        // A list counts the records of every partition (one, for a correlator with lists); a list
        // the engines do not run yet (deployed, not reached) has none.
        const counts = new Map<string, number>()
        for (const partition of yield* partitionLists(supervised)) for (const list of partition.lists) counts.set(list.name, (counts.get(list.name) ?? 0) + list.count)
        return Option.some({
          tenantID: spec.tenantId,
          lists: spec.activeLists.map((list) => ({ id: activeListIdOf(correlatorId, list.name), name: list.name, count: counts.get(list.name) ?? 0 }))
        })
      })

    // Best effort: the import is durable once published, so a slow partition only delays the counts.
    const awaitApplied = (supervised: SupervisedCorrelator, targets: ReadonlyArray<number>) =>
      Effect.gen(function* () {
        const deadline = (yield* Clock.currentTimeMillis) + applyTimeoutMs
        for (;;) {
          const progress = yield* Effect.either(partitionLists(supervised))
          if (progress._tag === "Right" && progress.right.every((partition) => partition.appliedSequence >= (targets[partition.partition] ?? 0))) return
          if ((yield* Clock.currentTimeMillis) >= deadline) {
            return yield* Effect.logWarning(`active list import into ${supervised.spec.id}: not applied within ${applyTimeoutMs} ms; it will be`)
          }
          yield* Effect.sleep("50 millis")
        }
      })

    /** The running correlator and its current spec, which must declare `listName`. */
    const runningList = (correlatorId: string, listName: string) =>
      Effect.gen(function* () {
        const supervised = supervisedOf(correlatorId)
        if (supervised === undefined) return yield* new ActiveListImporterError({ message: `correlator ${correlatorId} does not run here` })
        const spec = yield* currentSpec(supervised)
        if (!spec.activeLists.some((list) => list.name === listName)) return yield* new ActiveListImporterError({ message: `correlator ${correlatorId} has no active list ${listName}` })
        return { supervised, spec }
      })

    // Each entry to every partition, one after another: a later one must never land before an
    // earlier (only the first part of an import clears). Answers once the engines hold them, so a
    // read right after sees them.
    const publishInOrder = (supervised: SupervisedCorrelator, entries: ReadonlyArray<Omit<ListImport, "importId">>) =>
      Effect.gen(function* () {
        const importId = crypto.randomUUID()
        const partitions = Array.from({ length: supervised.partitions }, (_, partition) => partition)
        const id = supervised.spec.id as CorrelatorId
        for (let index = 0; index < entries.length; index++) {
          const listImport: ListImport = { ...entries[index]!, importId: `${importId}.${index}` }
          const matches = partitions.map((partition): PartitionMatch => ({ correlatorId: id, partition, streamTime: null, listImport }))
          yield* bus.publish(topics.matches, matches).pipe(Effect.mapError(failure(`active list change to ${id} not accepted by the bus`)))
        }
        const targets = yield* bus
          .lastSequences(
            topics.matches,
            partitions.map((partition) => topics.matchSubject(id, partition))
          )
          .pipe(Effect.orElseSucceed(() => [] as ReadonlyArray<number>))
        if (targets.length > 0) yield* awaitApplied(supervised, targets)
      })

    const importRecords = (correlatorId: string, listName: string, records: ReadonlyArray<ActiveListImportRecord>, clear: boolean): Effect.Effect<void, ActiveListImporterError> =>
      Effect.gen(function* () {
        const { supervised } = yield* runningList(correlatorId, listName)
        if (records.length === 0 && !clear) return
        const at = yield* Clock.currentTimeMillis
        yield* publishInOrder(
          supervised,
          partsOf(records).map((part, index) => ({ list: listName, records: part, clear: clear && index === 0, at }))
        )
      })

    const deleteRecords = (correlatorId: string, listName: string, keys: ReadonlyArray<string>): Effect.Effect<void, ActiveListImporterError> =>
      Effect.gen(function* () {
        const { supervised } = yield* runningList(correlatorId, listName)
        if (keys.length === 0) return
        const at = yield* Clock.currentTimeMillis
        const parts = partsOf(keys.map((key) => ({ key, fields: {} })))
        yield* publishInOrder(
          supervised,
          parts.map((part) => ({ list: listName, records: [], clear: false, deleteKeys: part.map((record) => record.key), at }))
        )
      })

    // A correlator with active lists runs one partition (actors/Partitioning), so its page is that partition's.
    const listRecords = (correlatorId: string, listName: string, query: ActiveListRecordsQuery): Effect.Effect<ActiveListRecordsPage, ActiveListImporterError> =>
      Effect.gen(function* () {
        const { supervised } = yield* runningList(correlatorId, listName)
        if (supervised.partitions !== 1) return yield* new ActiveListImporterError({ message: `correlator ${correlatorId} runs ${supervised.partitions} partitions; active lists need one` })
        const records: Array<ActiveListEntry> = []
        let total = 0
        // A partition may answer fewer than asked (its answers stay small): ask on until the page is full.
        for (;;) {
          const [partition] = yield* perPartition(supervised, "active list records", (client) =>
            client.getActiveListRecords({ correlatorId, list: listName, keyPattern: query.keyPattern, offset: query.offset + records.length, limit: query.limit - records.length })
          )
          if (partition === undefined) return { total: 0, records }
          total = partition.total
          records.push(...partition.records)
          if (partition.records.length === 0 || records.length >= query.limit || query.offset + records.length >= total) return { total, records }
        }
      })

    const exportRecords = (correlatorId: string, listName: string): Effect.Effect<ReadonlyArray<ActiveListEntry>, ActiveListImporterError> =>
      Effect.gen(function* () {
        const all: Array<ActiveListEntry> = []
        for (;;) {
          const page = yield* listRecords(correlatorId, listName, { keyPattern: undefined, offset: all.length, limit: ExportPageSize })
          all.push(...page.records)
          if (page.records.length === 0 || all.length >= page.total) return all
        }
      })

    return { lists, importRecords, listRecords, deleteRecords, exportRecords } satisfies ActiveListImporterShape
  })
