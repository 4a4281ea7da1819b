// What a node reports about itself through the control plane: the seam between the node
// runtime (which owns the counters and leases) and ControlServer (which only serves them).
import type { Effect } from "effect";

/** How the node runs: one embedded process, or one member of a NATS + Cassandra cluster. */
export type NodeMode = "embedded" | "cluster";

/** A data-path stage the node runs (DESIGN.md "The data path"). */
export type NodeRole = "collector" | "store" | "router" | "correlator" | "alerts" | "gateway";

/** Monotonic counters since the node started. */
export interface NodeCounters {
  readonly eventsReceived: number;
  readonly eventsStored: number;
  readonly correlationEvents: number;
  readonly alerts: number;
  readonly parseErrors: number;
}

/** Identity, roles and traffic of one node; times are unix-epoch / elapsed milliseconds. */
export interface NodeInfo {
  readonly nodeId: string;
  readonly version: string;
  readonly roles: ReadonlyArray<NodeRole>;
  readonly startTimeMs: number;
  // Measured by the node (monotonic), not derived from startTimeMs by a client whose
  // wall clock may disagree with the node's.
  readonly uptimeMs: number;
  readonly mode: NodeMode;
  readonly counters: NodeCounters;
}

/** One correlator partition held by a node and how far its actor has applied the stream. */
export interface PartitionInfo {
  readonly correlatorId: string;
  readonly partition: number;
  readonly ownerNode: string;
  // Last applied sequence of the partition's match stream; 0 before the first message.
  readonly streamSequence: number;
}

/**
 * The node's current state, read on every control call. Both effects are cheap snapshots
 * and cannot fail: a node that cannot say what it is has a bug (the server answers INTERNAL).
 */
export interface NodeStatus {
  readonly nodeInfo: Effect.Effect<NodeInfo>;
  /** The correlator partitions this node holds a lease for now. */
  readonly partitions: Effect.Effect<ReadonlyArray<PartitionInfo>>;
}
