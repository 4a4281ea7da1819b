// What the gateway's cluster view shows (GET /api/v1/cluster): the members with their events per
// second, and every correlator partition and router with its owner, epoch and progress. The node
// builds it through its own control plane; the gateway only serves it.
import { Data } from "effect"

/** One member; the rates are null when it did not answer. */
export interface OverviewNode {
  readonly nodeId: string
  readonly address: string
  readonly draining: boolean
  readonly reachable: boolean
  readonly eventsReceivedPerSecond: number | null
  readonly eventsStoredPerSecond: number | null
  readonly correlationEventsPerSecond: number | null
}

/** One partition (or router slot); null where nobody holds it or its owner did not report. */
export interface OverviewEntry {
  readonly correlatorId: string
  readonly partition: number
  readonly ownerNode: string | null
  readonly epoch: number | null
  readonly appliedSequence: number | null
  readonly lag: number | null
}

export interface ClusterOverview {
  /** The node whose view this is. */
  readonly askedNode: string
  readonly nodes: ReadonlyArray<OverviewNode>
  /** The reachable members' rates, summed. */
  readonly total: {
    readonly eventsReceivedPerSecond: number
    readonly eventsStoredPerSecond: number
    readonly correlationEventsPerSecond: number
  }
  readonly partitions: ReadonlyArray<OverviewEntry>
  /** Each correlator's router, in the lease slot after its partitions. */
  readonly routers: ReadonlyArray<OverviewEntry>
}

/** The node's control plane did not answer; the cause stays in the node's log. */
export class ClusterOverviewUnavailable extends Data.TaggedError("ClusterOverviewUnavailable")<{ readonly message: string; readonly cause?: unknown }> {}
