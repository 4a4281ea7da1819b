// The CheckpointStore contract: embedded (DuckDB) and Cassandra must behave the same. Fencing
// by lease epoch, replacement within an epoch, multi-MiB snapshots read whole, races.
import { describe, expect, type Vitest } from "@effect/vitest"
import { Effect, Either, Option } from "effect"
import { randomBytes } from "node:crypto"
import type { Checkpoint } from "../../model/Checkpoint.ts"
import { CorrelatorId } from "../../model/Ids.ts"
import { CheckpointStore, StaleEpoch } from "../../storage/CheckpointStore.ts"
import { uniqueSuffix } from "../support/testIds.ts"

const MiB = 1024 * 1024

const newCorrelator = () => CorrelatorId.make(`c${uniqueSuffix()}`)

const checkpoint = (correlatorId: CorrelatorId, overrides: Partial<Checkpoint> = {}, snapshotBytes = 1_000): Checkpoint => ({
  correlatorId,
  partition: 0,
  epoch: 1,
  sequence: 100,
  savedAt: 1_700_000_000_000,
  snapshot: new Uint8Array(randomBytes(snapshotBytes)),
  ...overrides
})

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))

/** Compares fields with toEqual and the snapshot by content (element-wise diffs of MiBs are slow). */
const expectSameCheckpoint = (found: Option.Option<Checkpoint>, expected: Checkpoint) => {
  expect(Option.isSome(found)).toBe(true)
  const { snapshot, ...fields } = Option.getOrThrow(found)
  const { snapshot: expectedSnapshot, ...expectedFields } = expected
  expect(fields).toEqual(expectedFields)
  expect(snapshot).toBeInstanceOf(Uint8Array)
  expect(snapshot.byteLength).toBe(expectedSnapshot.byteLength)
  expect(sameBytes(snapshot, expectedSnapshot)).toBe(true)
}

const headOf = ({ partition, epoch, sequence, savedAt }: Checkpoint) => ({ partition, epoch, sequence, savedAt })

/** Registers the CheckpointStore contract's tests on `it`, whose layer provides the backend under test. */
export const checkpointStoreContract = (it: Vitest.MethodsNonLive<CheckpointStore, true>) =>
  describe("CheckpointStore contract", () => {
    it.effect("answers an unknown correlator or partition as missing and lists nothing for it", () =>
      Effect.gen(function* () {
        const store = yield* CheckpointStore
        const correlatorId = newCorrelator()
        expect(yield* store.load(correlatorId, 0)).toEqual(Option.none())
        expect(yield* store.list(correlatorId)).toEqual([])
        yield* store.save(checkpoint(correlatorId, { partition: 1 }))
        expect(yield* store.load(correlatorId, 0)).toEqual(Option.none())
        expect(yield* store.load(newCorrelator(), 1)).toEqual(Option.none())
      }).pipe(Effect.orDie))

    it.effect("saves a 3 MiB snapshot and an empty one and loads each back whole", () =>
      Effect.gen(function* () {
        const store = yield* CheckpointStore
        const correlatorId = newCorrelator()
        const large = checkpoint(correlatorId, { partition: 3, sequence: 2 ** 40 }, 3 * MiB + 17)
        const empty = checkpoint(correlatorId, { partition: 4 }, 0)
        yield* store.save(large)
        yield* store.save(empty)
        expectSameCheckpoint(yield* store.load(correlatorId, 3), large)
        expectSameCheckpoint(yield* store.load(correlatorId, 4), empty)
      }).pipe(Effect.orDie))

    it.effect("refuses with StaleEpoch a checkpoint of a lower epoch, whatever its sequence, and keeps the stored one", () =>
      Effect.gen(function* () {
        const store = yield* CheckpointStore
        const correlatorId = newCorrelator()
        const successor = checkpoint(correlatorId, { epoch: 5, sequence: 200 }, 2 * MiB + 1)
        yield* store.save(successor)
        const paused = checkpoint(correlatorId, { epoch: 4, sequence: 900 }, MiB + 3)
        expect(yield* Effect.flip(store.save(paused))).toEqual(new StaleEpoch({ stored: 5, offered: 4 }))
        expectSameCheckpoint(yield* store.load(correlatorId, 0), successor)
        expect(yield* store.list(correlatorId)).toEqual([headOf(successor)])
      }).pipe(Effect.orDie))

    it.effect("replaces within an epoch on an equal or higher sequence, ignores a lower one, and a higher epoch always replaces", () =>
      Effect.gen(function* () {
        const store = yield* CheckpointStore
        const correlatorId = newCorrelator()
        const first = checkpoint(correlatorId, { epoch: 2, sequence: 100 })
        yield* store.save(first)
        const later = checkpoint(correlatorId, { epoch: 2, sequence: 150, savedAt: first.savedAt + 1 }, MiB + 9)
        yield* store.save(later)
        expectSameCheckpoint(yield* store.load(correlatorId, 0), later)
        const sameSequence = checkpoint(correlatorId, { epoch: 2, sequence: 150, savedAt: first.savedAt + 2 }, 10)
        yield* store.save(sameSequence)
        expectSameCheckpoint(yield* store.load(correlatorId, 0), sameSequence)
        // A delayed older save of the same owner succeeds without undoing the newer one.
        yield* store.save(checkpoint(correlatorId, { epoch: 2, sequence: 120, savedAt: first.savedAt + 3 }))
        expectSameCheckpoint(yield* store.load(correlatorId, 0), sameSequence)
        // A new owner may restart from less than its predecessor covered.
        const newOwner = checkpoint(correlatorId, { epoch: 3, sequence: 90, savedAt: first.savedAt + 4 }, 2 * MiB)
        yield* store.save(newOwner)
        expectSameCheckpoint(yield* store.load(correlatorId, 0), newOwner)
        expect(yield* store.list(correlatorId)).toEqual([headOf(newOwner)])
      }).pipe(Effect.orDie))

    it.effect("lists every partition of the correlator once, by partition, and nothing of other correlators", () =>
      Effect.gen(function* () {
        const store = yield* CheckpointStore
        const correlatorId = newCorrelator()
        const other = newCorrelator()
        const saved = [7, 0, 3].map((partition) => checkpoint(correlatorId, { partition, epoch: partition + 1, sequence: partition * 10 }))
        for (const each of saved) yield* store.save(each)
        yield* store.save(checkpoint(correlatorId, { partition: 3, epoch: 4, sequence: 31 }))
        yield* store.save(checkpoint(other, { partition: 1 }))
        expect(yield* store.list(correlatorId)).toEqual([
          headOf(saved[1]!),
          { ...headOf(saved[2]!), sequence: 31 },
          headOf(saved[0]!)
        ])
      }).pipe(Effect.orDie))

    it.effect("lets the highest epoch win when owners of several epochs save at once; the others fail with StaleEpoch or were replaced", () =>
      Effect.gen(function* () {
        const store = yield* CheckpointStore
        const correlatorId = newCorrelator()
        // Lower epochs carry larger snapshots, so they are still writing bytes when higher ones
        // have already saved: their last step must then be refused, not land on top.
        const offers = [3, 1, 6, 2, 5, 4].map((epoch) => checkpoint(correlatorId, { partition: 2, epoch, sequence: 1_000 - epoch }, ((6 - epoch) * MiB) / 2 + epoch))
        const outcomes = yield* Effect.all(offers.map((offer) => Effect.either(store.save(offer))), { concurrency: "unbounded" })
        outcomes.forEach((outcome, index) => {
          if (Either.isLeft(outcome)) {
            expect(outcome.left).toBeInstanceOf(StaleEpoch)
            const stale = outcome.left as StaleEpoch
            expect(stale.offered).toBe(offers[index]!.epoch)
            expect(stale.stored).toBeGreaterThan(stale.offered)
          }
        })
        const highest = offers.find((offer) => offer.epoch === 6)!
        expect(Either.isRight(outcomes[offers.indexOf(highest)]!)).toBe(true)
        expectSameCheckpoint(yield* store.load(correlatorId, 2), highest)
        expect(yield* store.list(correlatorId)).toEqual([headOf(highest)])
      }).pipe(Effect.orDie))

    it.effect("refuses a former owner whose large snapshot is still being written when its successor saves", () =>
      Effect.gen(function* () {
        const store = yield* CheckpointStore
        const correlatorId = newCorrelator()
        // The successor starts after a growing head start, so in some rounds the former owner has
        // already checked the stored epoch and is writing bytes when the successor's save lands.
        const headStarts = [0, 2, 5, 10, 20, 40]
        for (const [partition, headStart] of headStarts.entries()) {
          const former = checkpoint(correlatorId, { partition, epoch: 1, sequence: 500 }, 5 * MiB + partition)
          const successor = checkpoint(correlatorId, { partition, epoch: 2, sequence: 400 }, 64)
          const [formerOutcome, successorOutcome] = yield* Effect.all(
            [Effect.either(store.save(former)), Effect.either(Effect.delay(store.save(successor), headStart))],
            { concurrency: "unbounded" }
          )
          expect(Either.isRight(successorOutcome)).toBe(true)
          if (Either.isLeft(formerOutcome)) expect(formerOutcome.left).toEqual(new StaleEpoch({ stored: 2, offered: 1 }))
          expectSameCheckpoint(yield* store.load(correlatorId, partition), successor)
        }
        expect((yield* store.list(correlatorId)).map((head) => head.epoch)).toEqual(headStarts.map(() => 2))
      }).pipe(Effect.orDie))

    it.effect("keeps one checkpoint when the same checkpoint is saved several times at once", () =>
      Effect.gen(function* () {
        const store = yield* CheckpointStore
        const correlatorId = newCorrelator()
        const saved = checkpoint(correlatorId, { epoch: 9 }, MiB + 1)
        yield* Effect.all(
          Array.from({ length: 4 }, () => store.save(saved)),
          { concurrency: "unbounded" }
        )
        expectSameCheckpoint(yield* store.load(correlatorId, 0), saved)
        expect(yield* store.list(correlatorId)).toEqual([headOf(saved)])
      }).pipe(Effect.orDie))

    it.effect("never shows a reader half a snapshot while newer checkpoints replace it", () =>
      Effect.gen(function* () {
        const store = yield* CheckpointStore
        const correlatorId = newCorrelator()
        const offers = [1, 2, 3, 4, 5].map((epoch) => checkpoint(correlatorId, { epoch, sequence: epoch }, 2 * MiB + epoch))
        const writer = Effect.forEach(offers, (offer) => store.save(offer), { discard: true })
        let writing = true
        const seen: Array<Option.Option<Checkpoint>> = []
        const reader = Effect.gen(function* () {
          while (writing) seen.push(yield* store.load(correlatorId, 0))
        })
        yield* Effect.all([writer.pipe(Effect.ensuring(Effect.sync(() => (writing = false)))), reader], { concurrency: "unbounded" })
        seen.push(yield* store.load(correlatorId, 0))
        expect(seen.length).toBeGreaterThan(1)
        for (const found of seen) {
          if (Option.isNone(found)) continue
          expectSameCheckpoint(found, offers[found.value.epoch - 1]!)
        }
        expectSameCheckpoint(seen[seen.length - 1]!, offers[4]!)
      }).pipe(Effect.orDie))
  })
