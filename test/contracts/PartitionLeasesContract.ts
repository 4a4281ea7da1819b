// The PartitionLeases contract: every implementation (in memory, NATS KV) must pass the same
// tests of exclusivity, renewal, expiry, release and epoch fencing.
import { describe, expect, it } from "@effect/vitest"
import { Cause, Context, Duration, Effect, Exit, Layer, Option, type Scope } from "effect"
import type { CorrelatorId } from "../../model/Ids.ts"
import type { OwnershipError } from "../../cluster/ownership/OwnershipNames.ts"
import { PartitionLeases, type Lease } from "../../cluster/ownership/PartitionLeases.ts"
import type { ContractTime } from "./MembershipContract.ts"

export interface PartitionLeasesFixture {
  /** One node's lease client; all nodes of one fixture share one bucket. */
  readonly node: () => Layer.Layer<PartitionLeases, OwnershipError>
  readonly time: ContractTime
}

const correlator = "corr_1-a" as CorrelatorId

const range = (count: number): Array<number> => Array.from({ length: count }, (_, index) => index)

/** Runs the contract; `live` selects real time (it.live) over a TestClock (it.effect). */
export const partitionLeasesContract = (name: string, live: boolean, fixture: Effect.Effect<PartitionLeasesFixture, never, Scope.Scope>) =>
  describe(`PartitionLeases contract: ${name}`, () => {
    const test = live ? it.live : it.effect
    type Node = Context.Tag.Service<PartitionLeases>
    const run = (body: (fixture: PartitionLeasesFixture, nodes: readonly [Node, Node]) => Effect.Effect<void, unknown, Scope.Scope>) =>
      Effect.scoped(
        Effect.gen(function* () {
          const current = yield* fixture
          const node = Layer.build(current.node()).pipe(Effect.map(Context.get(PartitionLeases)), Effect.orDie)
          yield* body(current, [yield* node, yield* node])
        })
      ).pipe(Effect.orDie)

    test("exactly one of two contenders wins each acquisition race, 20 calls at once or 20 partitions at once", () =>
      run((_, [one, two]) =>
        Effect.gen(function* () {
          const onePartition = yield* Effect.all(
            range(20).map((attempt) => (attempt % 2 === 0 ? one.acquire(correlator, 0, "node-1") : two.acquire(correlator, 0, "node-2"))),
            { concurrency: "unbounded" }
          )
          const winners = onePartition.filter((lease) => lease !== undefined)
          expect(winners).toHaveLength(1)
          expect(yield* one.current(correlator, 0)).toEqual(Option.some({ owner: winners[0]!.owner, epoch: winners[0]!.epoch, acquiredAt: winners[0]!.acquiredAt }))

          const rounds = yield* Effect.forEach(
            range(20).map((index) => index + 1),
            (partition) =>
              Effect.all([one.acquire(correlator, partition, "node-1"), two.acquire(correlator, partition, "node-2"), one.acquire(correlator, partition, "node-1"), two.acquire(correlator, partition, "node-2")], {
                concurrency: "unbounded"
              }),
            { concurrency: "unbounded" }
          )
          const epochs = new Set<number>()
          for (const [index, round] of rounds.entries()) {
            const roundWinners = round.filter((lease) => lease !== undefined)
            expect(roundWinners).toHaveLength(1)
            const winner = roundWinners[0]!
            expect(winner.partition).toBe(index + 1)
            expect(yield* two.isCurrent(correlator, winner.partition, winner.epoch)).toBe(true)
            epochs.add(winner.epoch)
          }
          expect(epochs.size).toBe(20)
        })
      ))

    test("renewing keeps the lease past its TTL with the same epoch, readable by everyone, and nobody else can take it", () =>
      run(({ time }, [one, two]) =>
        Effect.gen(function* () {
          expect(yield* two.current(correlator, 7)).toEqual(Option.none())
          expect(yield* two.isCurrent(correlator, 7, 1)).toBe(false)
          const acquired = (yield* one.acquire(correlator, 7, "node-1"))!
          expect(acquired.owner).toBe("node-1")
          expect(acquired.epoch).toBe(acquired.revision)
          expect(acquired.expiresAt).toBe(acquired.acquiredAt + Duration.toMillis(one.ttl))
          expect(yield* two.current(correlator, 7)).toEqual(Option.some({ owner: "node-1", epoch: acquired.epoch, acquiredAt: acquired.acquiredAt }))
          let lease: Lease = acquired
          for (const _ of range(3)) {
            yield* time.advance(Duration.times(one.ttl, 0.5))
            const renewed = yield* one.renew(lease)
            expect(renewed.epoch).toBe(acquired.epoch)
            expect(renewed.revision).toBeGreaterThan(lease.revision)
            expect(renewed.expiresAt).toBeGreaterThan(lease.expiresAt)
            expect(yield* two.acquire(correlator, 7, "node-2")).toBeUndefined()
            lease = renewed
          }
          // 1.5 TTLs after acquisition: only the renewals kept it, and the epoch is still the create's.
          expect(yield* two.current(correlator, 7)).toEqual(Option.some({ owner: "node-1", epoch: acquired.epoch, acquiredAt: acquired.acquiredAt }))
          expect(yield* two.isCurrent(correlator, 7, acquired.epoch)).toBe(true)
        })
      ))

    test("an unrenewed lease expires within the TTL; its renewal fails with LeaseLost; the next holder has a higher epoch and fences the old one off", () =>
      run(({ time }, [one, two]) =>
        Effect.gen(function* () {
          const old = (yield* one.acquire(correlator, 3, "node-1"))!
          yield* time.advance(Duration.times(one.ttl, 0.5))
          expect(yield* two.acquire(correlator, 3, "node-2")).toBeUndefined()
          yield* time.within(Duration.times(one.ttl, 0.5), two.current(correlator, 3), Option.isNone)
          // Lost even though nobody has taken the partition yet: the acquisition is over.
          const lost = yield* Effect.flip(one.renew(old))
          expect(lost).toMatchObject({ _tag: "LeaseLost", correlatorId: correlator, partition: 3, epoch: old.epoch })
          const next = (yield* two.acquire(correlator, 3, "node-2"))!
          expect(next.owner).toBe("node-2")
          expect(next.epoch).toBeGreaterThan(old.epoch)
          expect(yield* one.isCurrent(correlator, 3, old.epoch)).toBe(false)
          expect(yield* one.isCurrent(correlator, 3, next.epoch)).toBe(true)
          expect((yield* Effect.flip(one.renew(old)))._tag).toBe("LeaseLost")
          // A stale release of the old lease leaves the new holder's lease alone.
          yield* one.release(old)
          expect(yield* one.current(correlator, 3)).toEqual(Option.some({ owner: "node-2", epoch: next.epoch, acquiredAt: next.acquiredAt }))
          expect((yield* two.renew(next)).epoch).toBe(next.epoch)
        })
      ))

    test("release frees the partition at once; a stale release of the old lease deletes nothing of the next holder", () =>
      run((_, [one, two]) =>
        Effect.gen(function* () {
          const first = (yield* one.acquire(correlator, 5, "node-1"))!
          const renewed = yield* one.renew(first)
          yield* one.release(renewed)
          expect(yield* two.current(correlator, 5)).toEqual(Option.none())
          expect(yield* two.isCurrent(correlator, 5, first.epoch)).toBe(false)
          const second = (yield* two.acquire(correlator, 5, "node-2"))!
          expect(second.epoch).toBeGreaterThan(renewed.revision)
          yield* one.release(renewed)
          yield* one.release(first)
          expect(yield* one.isCurrent(correlator, 5, second.epoch)).toBe(true)
          // Releasing twice is a no-op, and the partition is then free again.
          yield* two.release(second)
          yield* two.release(second)
          const third = (yield* one.acquire(correlator, 5, "node-1"))!
          expect(third.epoch).toBeGreaterThan(second.epoch)
        })
      ))

    test("a holder whose latest revision it never learned (an outdated lease of the same acquisition) still renews and releases", () =>
      run((_, [one, two]) =>
        Effect.gen(function* () {
          const acquired = (yield* one.acquire(correlator, 9, "node-1"))!
          const renewed = yield* one.renew(acquired)
          const renewedFromOutdated = yield* one.renew(acquired)
          expect(renewedFromOutdated.epoch).toBe(acquired.epoch)
          expect(renewedFromOutdated.revision).toBeGreaterThan(renewed.revision)
          yield* one.release(renewed)
          expect(yield* two.current(correlator, 9)).toEqual(Option.none())
          expect(yield* two.acquire(correlator, 9, "node-2")).toBeDefined()
        })
      ))

    test("a node that restarts under the same id cannot adopt its earlier run's lease", () =>
      run((_, [one, two]) =>
        Effect.gen(function* () {
          const earlier = (yield* one.acquire(correlator, 11, "node-1"))!
          expect(yield* two.acquire(correlator, 11, "node-1")).toBeUndefined()
          expect(yield* two.isCurrent(correlator, 11, earlier.epoch)).toBe(true)
        })
      ))

    test("correlator ids and partitions must fit a KV key: anything else is a bug and dies", () =>
      run((_, [one]) =>
        Effect.gen(function* () {
          const attempts: ReadonlyArray<Effect.Effect<unknown, OwnershipError>> = [
            one.acquire("corr.1" as CorrelatorId, 0, "node-1"),
            one.acquire(correlator, -1, "node-1"),
            one.current(correlator, 1.5)
          ]
          for (const attempt of attempts) {
            const exit = yield* Effect.exit(attempt)
            expect(Exit.isFailure(exit) && Cause.isDie(exit.cause)).toBe(true)
          }
        })
      ))
  })
