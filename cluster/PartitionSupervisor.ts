// Which correlator partitions this node runs (DESIGN "Distribution"): it joins the membership,
// and on a short schedule (and at once when the live set changes) reconciles what it holds with the rendezvous target over the live,
// non-draining members: it leases and starts the partitions that are its own, renews what it
// holds, hands over (checkpoint, stop, release) what belongs elsewhere now, and drops at once a
// partition whose lease it lost. Closing its scope hands everything over (a graceful stop).
// Each correlator's router is leased the same way, as slot `partitions` after its partitions:
// one router at a time keeps the partitions' input in the events stream's order, which is what
// makes a cluster's correlation events the same as one node's.
// Rules come from the correlator registry: at start each correlator of the deployment is seeded
// there (revision 1 when it has none), and a router or partition starts under the registry's
// current revision.
import { Clock, Data, Deferred, Duration, Effect, Exit, Option, Queue, Schedule, Scope, Stream } from "effect"
import { unpartitionableReason } from "../actors/Partitioning.ts"
import type { CorrelatorId } from "../model/Ids.ts"
import type { CheckpointStore, CheckpointStoreError, StaleEpoch } from "../storage/CheckpointStore.ts"
import { CorrelatorRegistry, type Deployed } from "./CorrelatorRegistry.ts"
import type { EventBus } from "./EventBus.ts"
import type { Topics } from "./Topics.ts"
import type { CorrelatorSpec } from "../model/Rule.ts"
import { Membership } from "./ownership/Membership.ts"
import { partitionKey } from "./ownership/OwnershipNames.ts"
import { PartitionLeases, type Lease } from "./ownership/PartitionLeases.ts"
import { ownerOf } from "./ownership/Rendezvous.ts"
import * as CorrelatorRouter from "./CorrelatorRouter.ts"
import * as PartitionActor from "./PartitionActor.ts"

export interface SupervisedCorrelator {
  /** As the deployment file has it: seeds the registry and fixes the partition count. */
  readonly spec: CorrelatorSpec
  /** Its partition count (1 for a correlator that cannot be split). */
  readonly partitions: number
}

export interface SupervisorOptions {
  readonly nodeId: string
  /** Where this node's control plane answers, for the others. */
  readonly address: string
  readonly correlators: ReadonlyArray<SupervisedCorrelator>
  readonly reconcileEvery: Duration.DurationInput
  readonly checkpointEvery: PartitionActor.PartitionActorOptions["checkpointEvery"]
  /** How often the router sends quiet partitions its stream time. */
  readonly markInterval: Duration.DurationInput
  /**
   * Services that must run on exactly one node at a time (the alert service: two nodes extending
   * one alert would lose each other's updates), leased like a partition under their name.
   */
  readonly singletons?: ReadonlyArray<{ readonly name: CorrelatorId; readonly start: Effect.Effect<unknown, unknown, Scope.Scope> }>
}

/** A partition (or, at slot `partitions`, the router) this node holds. */
export interface HeldPartition {
  readonly correlatorId: CorrelatorId
  readonly partition: number
  lease: Lease
  /** The partition's actor; absent for the router slot. */
  readonly actor: PartitionActor.PartitionActor | undefined
  /** The router's progress; present only for the router slot. */
  readonly router: CorrelatorRouter.RouterStats | undefined
  /** Saves the partition's (or router's) position, before a handover. */
  readonly checkpoint: Effect.Effect<void, StaleEpoch | CheckpointStoreError>
  /** Completes when a save was refused for a newer epoch. */
  readonly superseded: Deferred.Deferred<StaleEpoch>
  readonly scope: Scope.CloseableScope
}

/** The lease slot of a correlator's router: the one after its partitions. */
export const routerSlot = (supervised: SupervisedCorrelator): number => supervised.partitions

/**
 * The registry's current revision of a correlator can be split and the deployment file's cannot,
 * or the other way round: the node would run another partition count than the cluster.
 */
export class PartitioningChanged extends Data.TaggedError("PartitioningChanged")<{ readonly correlatorId: CorrelatorId; readonly revision: number }> {
  override get message(): string {
    return `correlator ${this.correlatorId}: the deployment file's rules and the registry's current revision ${this.revision} disagree on whether it can be split into partitions; deploy the file's rules with corvus rules deploy, or make the file agree`
  }
}

export interface SupervisorStats {
  acquired: number
  handedOver: number
  lost: number
}

export interface Supervisor {
  /** The partitions held now, keyed `correlator/partition`. */
  readonly held: ReadonlyMap<string, HeldPartition>
  readonly stats: SupervisorStats
  /** Marks the node draining, hands every partition over and completes when none is held. */
  readonly drain: Effect.Effect<void>
}

const keyOf = (correlatorId: CorrelatorId, partition: number) => `${correlatorId}/${partition}`

/** How many slots one round acquires, renews or hands over at once. */
const RoundConcurrency = 8
/** The pause before the next round while a target slot is still held elsewhere, and for how many rounds in a row. */
const QuickRoundPause = Duration.millis(100)
const QuickRounds = 30

/** How long a handover or drop waits for a partition's actor to stop. */
const StopBound = Duration.seconds(10)

/** Starts the supervisor for the scope's lifetime. */
export const start = (options: SupervisorOptions) =>
  Effect.gen(function* () {
    const membership = yield* Membership
    const leases = yield* PartitionLeases
    const registry = yield* CorrelatorRegistry
    const context = yield* Effect.context<EventBus | Topics | CheckpointStore | CorrelatorRegistry>()
    // Seeded before joining: nothing runs before every correlator has a revision.
    const seeded = new Map<CorrelatorId, Deployed>()
    for (const supervised of options.correlators) {
      const deployed = yield* registry.seed(supervised.spec)
      if ((unpartitionableReason(deployed.spec) === undefined) !== (unpartitionableReason(supervised.spec) === undefined)) {
        return yield* new PartitioningChanged({ correlatorId: supervised.spec.id, revision: deployed.revision })
      }
      seeded.set(supervised.spec.id, deployed)
    }
    const held = new Map<string, HeldPartition>()
    const stats: SupervisorStats = { acquired: 0, handedOver: 0, lost: 0 }
    let draining = false
    const ttlMillis = Duration.toMillis(leases.ttl)
    const permit = yield* Effect.makeSemaphore(1)

    // Reconciliation must never wedge on one partition that does not stop (it would renew and
    // take nothing more): past the bound the close goes on in the background and the lease is
    // released anyway; fencing refuses whatever the stuck actor might still write.
    const stop = (entry: HeldPartition) =>
      Effect.gen(function* () {
        held.delete(keyOf(entry.correlatorId, entry.partition))
        yield* Scope.close(entry.scope, Exit.void).pipe(
          Effect.disconnect,
          Effect.timeout(StopBound),
          Effect.catchTag("TimeoutException", () =>
            Effect.logError(`partition ${entry.correlatorId}/${entry.partition} did not stop within ${Duration.format(StopBound)}; released anyway`)
          )
        )
      })

    // A handover checkpoints first, so the next owner replays only what came after.
    const handOver = (entry: HeldPartition) =>
      Effect.gen(function* () {
        yield* entry.checkpoint.pipe(Effect.catchAll((error) => Effect.logWarning(`partition ${entry.correlatorId}/${entry.partition}: handover checkpoint failed`, error)))
        yield* stop(entry)
        yield* leases.release(entry.lease).pipe(Effect.catchAll((error) => Effect.logWarning("lease release failed; it expires instead", error)))
        stats.handedOver++
      })

    // `current` is read before the lease is taken: a registry that cannot be read leaves the slot free.
    const acquire = (supervised: SupervisedCorrelator, partition: number, current: Deployed) =>
      Effect.gen(function* () {
        const lease = yield* leases.acquire(supervised.spec.id, partition, options.nodeId)
        if (lease === undefined) return false
        const scope = yield* Scope.make()
        const started: Effect.Effect<Pick<HeldPartition, "actor" | "router" | "checkpoint" | "superseded">, unknown, EventBus | Topics | CheckpointStore | CorrelatorRegistry | Scope.Scope> =
          partition === routerSlot(supervised)
            ? CorrelatorRouter.start(current.spec, {
                partitions: supervised.partitions,
                markInterval: options.markInterval,
                epoch: lease.epoch,
                slot: partition,
                checkpointEvery: options.checkpointEvery.interval,
                revision: current.revision
              }).pipe(Effect.map((router) => ({ actor: undefined, router: router.stats, checkpoint: router.checkpoint, superseded: router.superseded })))
            : PartitionActor.run({
                spec: current.spec,
                revision: current.revision,
                partition,
                partitions: supervised.partitions,
                epoch: lease.epoch,
                checkpointEvery: options.checkpointEvery
              }).pipe(Effect.map((actor) => ({ actor, router: undefined, checkpoint: actor.checkpoint, superseded: actor.superseded })))
        const running = yield* started.pipe(
          Scope.extend(scope),
          Effect.provide(context),
          Effect.tapErrorCause(() => Scope.close(scope, Exit.void).pipe(Effect.zipRight(leases.release(lease)), Effect.ignore))
        )
        held.set(keyOf(supervised.spec.id, partition), { correlatorId: supervised.spec.id, partition, lease, scope, ...running })
        stats.acquired++
        return true
      })

    const acquireSingleton = (name: CorrelatorId, startService: Effect.Effect<unknown, unknown, Scope.Scope>) =>
      Effect.gen(function* () {
        const lease = yield* leases.acquire(name, 0, options.nodeId)
        if (lease === undefined) return false
        const scope = yield* Scope.make()
        yield* startService.pipe(
          Scope.extend(scope),
          Effect.tapErrorCause(() => Scope.close(scope, Exit.void).pipe(Effect.zipRight(leases.release(lease)), Effect.ignore))
        )
        held.set(keyOf(name, 0), { correlatorId: name, partition: 0, lease, scope, actor: undefined, router: undefined, checkpoint: Effect.void, superseded: yield* Deferred.make<StaleEpoch>() })
        stats.acquired++
        return true
      })

    // Every lease this node may hold: each correlator's partitions and router, then the singletons.
    type Slot = { readonly id: CorrelatorId; readonly partition: number; readonly supervised: SupervisedCorrelator | undefined; readonly acquire: (current: Deployed | undefined) => Effect.Effect<boolean, unknown> }
    const slots: ReadonlyArray<Slot> = [
      ...options.correlators.flatMap((supervised) =>
        Array.from({ length: routerSlot(supervised) + 1 }, (_, partition): Slot => ({
          id: supervised.spec.id,
          partition,
          supervised,
          acquire: (current) => acquire(supervised, partition, current!)
        }))
      ),
      ...(options.singletons ?? []).map((singleton): Slot => ({ id: singleton.name, partition: 0, supervised: undefined, acquire: () => acquireSingleton(singleton.name, singleton.start) }))
    ]

    const renew = (entry: HeldPartition) =>
      Effect.gen(function* () {
        const renewed = yield* leases.renew(entry.lease).pipe(Effect.either)
        if (renewed._tag === "Right") entry.lease = renewed.right
        else if (renewed.left._tag === "LeaseLost") {
          // Someone else may already run it: stop without a checkpoint (it would be refused anyway).
          stats.lost++
          yield* stop(entry)
        } else yield* Effect.logWarning("lease renewal failed; retried on the next round", renewed.left)
      })

    // One round decides every slot first, then runs each kind of step for all slots at once: a
    // join moves a third of the slots, and taking them one lease, checkpoint and consumer at a
    // time kept moved keys waiting for seconds. Returns whether a slot that is this node's
    // target was still held elsewhere (its holder is handing it over, or its lease must expire).
    const reconcile = permit.withPermits(1)(
      Effect.gen(function* () {
        const members = (yield* membership.members).filter((member) => !member.draining && !(draining && member.nodeId === options.nodeId)).map((member) => member.nodeId)
        const now = yield* Clock.currentTimeMillis
        const dropping: Array<HeldPartition> = []
        const leaving: Array<HeldPartition> = []
        const renewing: Array<HeldPartition> = []
        const taking: Array<Slot> = []
        for (const slot of slots) {
          const target = ownerOf(partitionKey(slot.id, slot.partition), members)
          const entry = held.get(keyOf(slot.id, slot.partition))
          if (entry === undefined) {
            if (target === options.nodeId) taking.push(slot)
          } else if (yield* Deferred.isDone(entry.superseded)) dropping.push(entry)
          else if (target !== options.nodeId) leaving.push(entry)
          // Renewed once a third of the lease has passed, well before it could expire.
          else if (entry.lease.expiresAt - now < (2 * ttlMillis) / 3) renewing.push(entry)
        }
        const concurrently = { concurrency: RoundConcurrency, discard: true } as const
        yield* Effect.forEach(dropping, (entry) => Effect.zipRight(Effect.sync(() => stats.lost++), stop(entry)), concurrently)
        yield* Effect.forEach(renewing, renew, concurrently)
        yield* Effect.forEach(leaving, handOver, concurrently)
        if (taking.length === 0) return false
        // The registry is read once per correlator per round; a correlator it cannot tell leaves its slots free.
        const revisions = new Map<CorrelatorId, Deployed>()
        for (const id of new Set(taking.flatMap((slot) => (slot.supervised === undefined ? [] : [slot.id])))) {
          const current = yield* registry.current(id).pipe(
            Effect.map(Option.getOrElse(() => seeded.get(id)!)),
            Effect.tapError((error) => Effect.logWarning(`correlator ${id}: the registry cannot be read; its partitions wait for the next round`, error)),
            Effect.option
          )
          if (Option.isSome(current)) revisions.set(id, current.value)
        }
        const taken = yield* Effect.forEach(
          taking.filter((slot) => slot.supervised === undefined || revisions.has(slot.id)),
          (slot) => slot.acquire(revisions.get(slot.id)).pipe(Effect.catchAll((error) => Effect.as(Effect.logWarning("lease acquisition failed", error), false))),
          { concurrency: RoundConcurrency }
        )
        return taken.some((took) => !took) || taken.length < taking.length
      })
    )

    // Rounds run on the schedule, at once when the live set changes, and soon again while a
    // target slot is still held elsewhere (for a bounded number of rounds: a dead holder's lease
    // only goes when it expires, and polling it fast would only load the bucket).
    const wake = yield* Queue.sliding<void>(1)
    yield* membership.changes.pipe(
      Stream.runForEach(() => Queue.offer(wake, undefined)),
      Effect.tapErrorCause((cause) => Effect.logWarning("membership watch failed; rounds keep to the schedule until it resumes", cause)),
      Effect.retry(Schedule.spaced("1 second")),
      Effect.forkScoped
    )
    yield* membership.join({ nodeId: options.nodeId, address: options.address, startedAt: Date.now(), draining: false })
    let quickRounds = 0
    yield* reconcile.pipe(
      Effect.catchAll((error) => Effect.as(Effect.logWarning("partition reconciliation failed; retried on the next round", error), false)),
      Effect.flatMap((pending) => {
        quickRounds = pending ? quickRounds + 1 : 0
        const pause = pending && quickRounds <= QuickRounds ? QuickRoundPause : options.reconcileEvery
        return Effect.race(Effect.sleep(pause), Queue.take(wake))
      }),
      Effect.forever,
      Effect.forkScoped
    )
    const drain = Effect.gen(function* () {
      draining = true
      yield* membership.setDraining(true).pipe(Effect.ignore)
      yield* permit.withPermits(1)(Effect.forEach([...held.values()], handOver, { concurrency: RoundConcurrency, discard: true }))
    })
    // A graceful stop drains (nothing is taken any more) before the membership entry goes.
    yield* Effect.addFinalizer(() => drain)
    return { held, stats, drain } satisfies Supervisor
  })
