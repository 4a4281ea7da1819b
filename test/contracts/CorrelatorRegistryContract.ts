// The CorrelatorRegistry contract: every implementation (in memory, NATS KV) must pass the same
// tests of revision numbering, exact reads, concurrent deploys and seeds, and change pushes.
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Context, Effect, Fiber, Layer, Option, Schema, type Scope, Stream } from "effect"
import { CorrelatorRegistry, type CorrelatorRegistryError } from "../../cluster/CorrelatorRegistry.ts"
import { CorrelatorId } from "../../model/Ids.ts"
import { CorrelatorSpec } from "../../model/Rule.ts"

export interface CorrelatorRegistryFixture {
  /** One node's registry client; all nodes of one fixture share one store. */
  readonly node: () => Layer.Layer<CorrelatorRegistry, CorrelatorRegistryError>
}

const correlatorId = CorrelatorId.make("soc")

/** A correlator whose one rule fires at `threshold`: different thresholds are different revisions. */
export const specWith = (threshold: number, id: CorrelatorId = correlatorId): CorrelatorSpec =>
  Schema.decodeUnknownSync(CorrelatorSpec)({
    id,
    tenantId: "main",
    name: "SOC",
    sources: [{ tenantId: "acme" }],
    rules: [
      {
        kind: "standard",
        id: "guessing",
        name: "Password guessing",
        selectors: [{ filter: { field: "EventOutcome", op: "=", value: "failure" }, threshold }],
        identicalFields: ["SourceAddress"],
        windowSeconds: 60
      }
    ]
  })

const thresholdOf = (spec: CorrelatorSpec): number => {
  const rule = spec.rules[0]
  return rule?.kind === "standard" ? rule.selectors[0].threshold : -1
}

export const correlatorRegistryContract = (name: string, fixture: Effect.Effect<CorrelatorRegistryFixture, never, Scope.Scope>) =>
  describe(`CorrelatorRegistry contract: ${name}`, () => {
    type Node = Context.Tag.Service<CorrelatorRegistry>
    const run = (body: (nodes: readonly [Node, Node]) => Effect.Effect<void, unknown, Scope.Scope>) =>
      Effect.scoped(
        Effect.gen(function* () {
          const current = yield* fixture
          const node = Layer.build(current.node()).pipe(Effect.map(Context.get(CorrelatorRegistry)), Effect.orDie)
          yield* body([yield* node, yield* node])
        })
      ).pipe(Effect.orDie)

    it.live("deploys number revisions from 1; current is the newest; at reads one revision exactly; unknown ones are none", () =>
      run(([one, two]) =>
        Effect.gen(function* () {
          expect(yield* one.current(correlatorId)).toEqual(Option.none())
          expect(yield* one.deploy(specWith(3))).toBe(1)
          expect(yield* two.deploy(specWith(4))).toBe(2)
          expect(yield* one.deploy(specWith(3))).toBe(3)
          const current = yield* two.current(correlatorId)
          expect(Option.map(current, ({ revision, spec }) => [revision, thresholdOf(spec)])).toEqual(Option.some([3, 3]))
          expect(Option.map(yield* one.at(correlatorId, 2), thresholdOf)).toEqual(Option.some(4))
          // What is read back is the spec as deployed, defaults included.
          expect(yield* two.at(correlatorId, 1)).toEqual(Option.some(specWith(3)))
          expect(yield* one.at(correlatorId, 4)).toEqual(Option.none())
          expect(yield* one.current(CorrelatorId.make("other"))).toEqual(Option.none())
        })
      ))

    it.live("twelve deploys at once from two nodes take revisions 1 to 12, each exactly once", () =>
      run(([one, two]) =>
        Effect.gen(function* () {
          const revisions = yield* Effect.all(
            Array.from({ length: 12 }, (_, index) => (index % 2 === 0 ? one : two).deploy(specWith(index + 1))),
            { concurrency: "unbounded" }
          )
          expect([...revisions].sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, index) => index + 1))
          // Each revision holds the spec of the deploy that was told that revision.
          for (const [index, revision] of revisions.entries()) expect(Option.map(yield* one.at(correlatorId, revision), thresholdOf)).toEqual(Option.some(index + 1))
        })
      ))

    it.live("seed stores revision 1 once: concurrent seeds with different specs all answer the winner; later seeds answer the current revision", () =>
      run(([one, two]) =>
        Effect.gen(function* () {
          const seeded = yield* Effect.all([one.seed(specWith(5)), two.seed(specWith(6)), one.seed(specWith(7))], { concurrency: "unbounded" })
          expect(seeded.map((entry) => entry.revision)).toEqual([1, 1, 1])
          expect(new Set(seeded.map((entry) => thresholdOf(entry.spec))).size).toBe(1)
          expect(yield* two.deploy(specWith(9))).toBe(2)
          const later = yield* one.seed(specWith(5))
          expect([later.revision, thresholdOf(later.spec)]).toEqual([2, 9])
        })
      ))

    it.live("changes pushes the current revision, then each one another node deploys, and nothing of other correlators", () =>
      run(([one, two]) =>
        Effect.gen(function* () {
          yield* one.deploy(specWith(3))
          const seen = yield* Stream.runCollect(two.changes(correlatorId).pipe(Stream.take(3))).pipe(Effect.fork)
          // The watch is live once it delivered the current revision; later ones are pushed.
          yield* Effect.sleep("300 millis")
          yield* one.deploy(specWith(4, CorrelatorId.make("other")))
          yield* one.deploy(specWith(4))
          yield* one.deploy(specWith(5))
          const revisions = yield* Fiber.join(seen).pipe(Effect.timeout("10 seconds"))
          expect(Chunk.toReadonlyArray(revisions)).toEqual([1, 2, 3])
        })
      ))

    it.live("a reader of changes waiting for the next revision stops at once when interrupted (a router's scope closing does not hang)", () =>
      run(([one]) =>
        Effect.gen(function* () {
          yield* one.deploy(specWith(3))
          const seen: Array<number> = []
          const reader = yield* Stream.runForEach(one.changes(correlatorId), (revision) => Effect.sync(() => seen.push(revision))).pipe(Effect.fork)
          yield* Effect.sleep("300 millis")
          expect(seen).toEqual([1])
          yield* Fiber.interrupt(reader).pipe(Effect.timeoutFail({ duration: "3 seconds", onTimeout: () => new Error("interrupting the watch hung") }))
        })
      ))
  })
