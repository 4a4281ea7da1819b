// The ResourceFileStore contract: embedded (DuckDB) and Cassandra must behave the same for
// empty, chunk-sized and multi-MiB files, deletion and the expiry sweep.
import { describe, expect, type Vitest } from "@effect/vitest"
import { Effect, Option } from "effect"
import { randomBytes, randomUUID } from "node:crypto"
import { TenantId } from "../../model/Ids.ts"
import { ResourceFileId, type ResourceFile } from "../../model/Resource.ts"
import { UserId } from "../../model/User.ts"
import { ResourceFileStore } from "../../storage/ResourceFileStore.ts"
import { uniqueSuffix } from "../support/testIds.ts"

const MiB = 1024 * 1024
// Files of every test but the sweep's expire long after the sweep's clock, so it counts only its own.
const sweepClock = Date.now() + 86_400_000
const farFuture = sweepClock + 30 * 86_400_000

const file = (size: number, overrides: Partial<ResourceFile> = {}): ResourceFile => ({
  id: ResourceFileId.make(randomUUID()),
  userID: UserId.make(randomUUID()),
  tenantID: TenantId.make(`t${uniqueSuffix()}`),
  createdAt: 1_700_000_000_000,
  expiresAt: farFuture,
  bytes: new Uint8Array(randomBytes(size)),
  ...overrides
})

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))

/** Compares metadata with toEqual and bytes by content (element-wise diffs of MiBs are slow). */
const expectSameFile = (found: Option.Option<ResourceFile>, expected: ResourceFile) => {
  expect(Option.isSome(found)).toBe(true)
  const { bytes, ...metadata } = Option.getOrThrow(found)
  const { bytes: expectedBytes, ...expectedMetadata } = expected
  expect(metadata).toEqual(expectedMetadata)
  expect(bytes).toBeInstanceOf(Uint8Array)
  expect(bytes.byteLength).toBe(expectedBytes.byteLength)
  expect(sameBytes(bytes, expectedBytes)).toBe(true)
}

/** Registers the ResourceFileStore contract's tests on `it`, whose layer provides the backend under test. */
export const resourceFileStoreContract = (it: Vitest.MethodsNonLive<ResourceFileStore, true>) =>
  describe("ResourceFileStore contract", () => {
    it.effect("stores a 3.5 MiB file and reads back exactly its bytes and metadata", () =>
      Effect.gen(function* () {
        const store = yield* ResourceFileStore
        const saved = file(3.5 * MiB + 123)
        yield* store.put(saved)
        expectSameFile(yield* store.get(saved.id), saved)
      }).pipe(Effect.orDie))

    it.effect("stores an empty file, a one-byte file and files ending exactly on a 1 MiB boundary", () =>
      Effect.gen(function* () {
        const store = yield* ResourceFileStore
        for (const size of [0, 1, MiB, 2 * MiB]) {
          const saved = file(size)
          yield* store.put(saved)
          expectSameFile(yield* store.get(saved.id), saved)
        }
      }).pipe(Effect.orDie))

    it.effect("answers an unknown id as missing", () =>
      Effect.gen(function* () {
        const store = yield* ResourceFileStore
        expect(yield* store.get(ResourceFileId.make(randomUUID()))).toEqual(Option.none())
      }).pipe(Effect.orDie))

    it.effect("replaces a file put again under its id, also with fewer bytes than before", () =>
      Effect.gen(function* () {
        const store = yield* ResourceFileStore
        const first = file(2 * MiB + 5)
        yield* store.put(first)
        const shorter: ResourceFile = { ...first, bytes: new Uint8Array(randomBytes(10)), createdAt: first.createdAt + 1 }
        yield* store.put(shorter)
        expectSameFile(yield* store.get(first.id), shorter)
      }).pipe(Effect.orDie))

    it.effect("keeps one whole file when the same file is put several times at once", () =>
      Effect.gen(function* () {
        const store = yield* ResourceFileStore
        const saved = file(1.5 * MiB)
        yield* Effect.all(
          Array.from({ length: 4 }, () => store.put(saved)),
          { concurrency: "unbounded" }
        )
        expectSameFile(yield* store.get(saved.id), saved)
        yield* store.delete(saved.id)
        expect(yield* store.get(saved.id)).toEqual(Option.none())
      }).pipe(Effect.orDie))

    it.effect("deletes a file, and deleting a missing file does nothing", () =>
      Effect.gen(function* () {
        const store = yield* ResourceFileStore
        const doomed = file(MiB + 1)
        const kept = file(10)
        yield* store.put(doomed)
        yield* store.put(kept)
        yield* store.delete(doomed.id)
        expect(yield* store.get(doomed.id)).toEqual(Option.none())
        yield* store.delete(doomed.id)
        yield* store.delete(ResourceFileId.make(randomUUID()))
        expectSameFile(yield* store.get(kept.id), kept)
      }).pipe(Effect.orDie))

    it.effect("sweeps files expiring at or before now, counting each once (also one put several times), and keeps the rest", () =>
      Effect.gen(function* () {
        const store = yield* ResourceFileStore
        const expiredLongAgo = file(MiB + 7, { expiresAt: sweepClock - 3_600_000 })
        const expiringNow = file(0, { expiresAt: sweepClock })
        const expiringLater = file(100, { expiresAt: sweepClock + 1 })
        yield* Effect.all(
          Array.from({ length: 3 }, () => store.put(expiredLongAgo)),
          { concurrency: "unbounded" }
        )
        yield* store.put(expiringNow)
        yield* store.put(expiringLater)
        expect(yield* store.deleteExpired(sweepClock)).toBe(2)
        expect(yield* store.get(expiredLongAgo.id)).toEqual(Option.none())
        expect(yield* store.get(expiringNow.id)).toEqual(Option.none())
        expectSameFile(yield* store.get(expiringLater.id), expiringLater)
        expect(yield* store.deleteExpired(sweepClock)).toBe(0)
        expect(yield* store.deleteExpired(sweepClock + 1)).toBe(1)
        expect(yield* store.get(expiringLater.id)).toEqual(Option.none())
      }).pipe(Effect.orDie))
  })
