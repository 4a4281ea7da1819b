// The Membership contract: every implementation (in memory, NATS KV) must pass the same tests.
// Time is the fixture's: a TestClock for memory, real time with the server's expiry slack for NATS.
import { describe, expect, it } from "@effect/vitest"
import { Cause, Context, Duration, Effect, Exit, Layer, Ref, Scope, Stream } from "effect"
import { Membership, type MemberInfo } from "../../cluster/ownership/Membership.ts"
import type { OwnershipError } from "../../cluster/ownership/OwnershipNames.ts"

/** How a contract lets time pass on one backend. */
export interface ContractTime {
  /** Lets `duration` pass. */
  readonly advance: (duration: Duration.DurationInput) => Effect.Effect<void>
  /**
   * The first observed value that holds once `duration` has passed (in memory: exactly then;
   * on a server: by then plus its expiry slack, polling). Dies with the last value otherwise.
   */
  readonly within: <A, E, R>(duration: Duration.DurationInput, observe: Effect.Effect<A, E, R>, holds: (value: A) => boolean) => Effect.Effect<A, E, R>
}

export interface MembershipFixture {
  /** One node's membership client; all nodes of one fixture share one bucket. */
  readonly node: () => Layer.Layer<Membership, OwnershipError>
  readonly time: ContractTime
}

const member = (nodeId: string, draining = false): MemberInfo => ({ nodeId, address: `127.0.0.1:${7000 + nodeId.length}`, startedAt: 1_700_000_000_000, draining })

const label = (members: ReadonlyArray<MemberInfo>): Array<string> => members.map((m) => (m.draining ? `${m.nodeId}(draining)` : m.nodeId))

const sameLabels = (expected: ReadonlyArray<string>) => (actual: ReadonlyArray<string> | undefined) =>
  actual !== undefined && actual.length === expected.length && actual.every((value, index) => value === expected[index])

/** Runs the contract; `live` selects real time (it.live) over a TestClock (it.effect). */
export const membershipContract = (name: string, live: boolean, fixture: Effect.Effect<MembershipFixture, never, Scope.Scope>) =>
  describe(`Membership contract: ${name}`, () => {
    const test = live ? it.live : it.effect
    const run = (body: (fixture: MembershipFixture, node: () => Effect.Effect<Context.Tag.Service<Membership>, never, Scope.Scope>) => Effect.Effect<void, OwnershipError, Scope.Scope>) =>
      Effect.scoped(
        Effect.gen(function* () {
          const current = yield* fixture
          const node = () => Layer.build(current.node()).pipe(Effect.map(Context.get(Membership)), Effect.orDie)
          yield* body(current, node)
        })
      ).pipe(Effect.orDie)

    test("a joined node is listed at once, with its address, start time and drain flag, by every node", () =>
      run((_, node) =>
        Effect.gen(function* () {
          const nodeA = yield* node()
          const observer = yield* node()
          expect(yield* observer.members).toEqual([])
          yield* nodeA.join(member("node-a"))
          expect(yield* observer.members).toEqual([member("node-a")])
          expect(yield* nodeA.members).toEqual([member("node-a")])
        })
      ))

    test("a node that stops heartbeating drops out within the TTL while a joined node stays listed", () =>
      run(({ time }, node) =>
        Effect.gen(function* () {
          const nodeA = yield* node()
          const crashed = yield* node()
          const ttl = nodeA.ttl
          yield* nodeA.join(member("node-a"))
          yield* crashed.heartbeat(member("node-b"))
          expect(label(yield* nodeA.members)).toEqual(["node-a", "node-b"])
          yield* time.advance(Duration.times(ttl, 0.5))
          expect(label(yield* nodeA.members)).toEqual(["node-a", "node-b"])
          yield* time.within(Duration.times(ttl, 0.5), Effect.map(nodeA.members, label), sameLabels(["node-a"]))
          // node-a has now lived past one TTL on heartbeats alone; one more TTL to be sure.
          yield* time.advance(ttl)
          expect(label(yield* crashed.members)).toEqual(["node-a"])
        })
      ))

    test("leaving (closing the join's scope) removes the node at once, without waiting for the TTL", () =>
      run((_, node) =>
        Effect.gen(function* () {
          const nodeA = yield* node()
          const nodeB = yield* node()
          yield* nodeA.join(member("node-a"))
          const membership = yield* Scope.make()
          yield* nodeB.join(member("node-b")).pipe(Scope.extend(membership))
          expect(label(yield* nodeA.members)).toEqual(["node-a", "node-b"])
          yield* Scope.close(membership, Exit.void)
          expect(label(yield* nodeA.members)).toEqual(["node-a"])
          // The instance can join again once it has left.
          const again = yield* Scope.make()
          yield* nodeB.join(member("node-b")).pipe(Scope.extend(again))
          expect(label(yield* nodeA.members)).toEqual(["node-a", "node-b"])
          yield* Scope.close(again, Exit.void)
        })
      ))

    test("setDraining is announced at once and survives later heartbeats", () =>
      run(({ time }, node) =>
        Effect.gen(function* () {
          const nodeA = yield* node()
          const observer = yield* node()
          yield* nodeA.join(member("node-a"))
          yield* nodeA.setDraining(true)
          expect(yield* observer.members).toEqual([member("node-a", true)])
          yield* time.advance(Duration.times(nodeA.ttl, 0.7))
          expect(yield* observer.members).toEqual([member("node-a", true)])
          yield* nodeA.setDraining(false)
          expect(yield* observer.members).toEqual([member("node-a")])
        })
      ))

    test("changes emits the live set first, then once per join, drain, expiry and leave", () =>
      run(({ time }, node) =>
        Effect.gen(function* () {
          const nodeA = yield* node()
          const crashed = yield* node()
          const observer = yield* node()
          const seen = yield* Ref.make<ReadonlyArray<ReadonlyArray<string>>>([])
          const latest = Effect.map(Ref.get(seen), (sets) => sets.at(-1))
          yield* observer.changes.pipe(
            Stream.runForEach((members) => Ref.update(seen, (sets) => [...sets, label(members)])),
            Effect.forkScoped
          )
          yield* time.within(0, latest, sameLabels([]))
          const membership = yield* Scope.make()
          yield* nodeA.join(member("node-a")).pipe(Scope.extend(membership))
          yield* time.within(0, latest, sameLabels(["node-a"]))
          yield* crashed.heartbeat(member("node-b"))
          yield* time.within(0, latest, sameLabels(["node-a", "node-b"]))
          yield* nodeA.setDraining(true)
          yield* time.within(0, latest, sameLabels(["node-a(draining)", "node-b"]))
          yield* time.within(nodeA.ttl, latest, sameLabels(["node-a(draining)"]))
          yield* Scope.close(membership, Exit.void)
          yield* time.within(0, latest, sameLabels([]))
          // Heartbeats that change nothing emit nothing.
          expect(yield* Ref.get(seen)).toEqual([[], ["node-a"], ["node-a", "node-b"], ["node-a(draining)", "node-b"], ["node-a(draining)"], []])
        })
      ))

    test("a late subscriber to changes first gets the current live set", () =>
      run((_, node) =>
        Effect.gen(function* () {
          const nodeA = yield* node()
          const observer = yield* node()
          yield* nodeA.join(member("node-a"))
          const first = yield* observer.changes.pipe(Stream.take(1), Stream.runCollect)
          expect([...first].map(label)).toEqual([["node-a"]])
        })
      ))

    test("node ids must be plain tokens, since they are KV keys", () =>
      run((_, node) =>
        Effect.gen(function* () {
          const nodeA = yield* node()
          const exit = yield* Effect.exit(nodeA.heartbeat(member("node.a")))
          expect(Exit.isFailure(exit) && Cause.isDie(exit.cause)).toBe(true)
          expect(yield* nodeA.members).toEqual([])
        })
      ))
  })
