// The whole cluster as an operator sees it, gathered through the control plane (what `corvus
// cluster status` and the gateway's cluster view show): one node's partition table gives the
// members and every partition's owner and epoch; then every live member is asked, side by side,
// for its node info (events per second) and its own partition table (the progress and lag of the
// partitions it runs). A member that does not answer is shown as unreachable, not as an error.
import { Effect, Option } from "effect";
import type { ClusterOverview, OverviewEntry } from "../../gateway/ClusterOverview.ts";
import { ClusterOverviewUnavailable } from "../../gateway/ClusterOverview.ts";
import * as ControlClient from "./ControlClient.ts";
import type { MemberView, NodeInfo, NodeRates, PartitionTable, PartitionTableEntry } from "./NodeStatus.ts";

/** One live member and what it said about itself. */
export interface NodeView extends MemberView {
  /** Undefined when the member did not answer (`unreachable` says why). */
  readonly info: NodeInfo | undefined;
  readonly unreachable: string | undefined;
}

export interface ClusterView {
  /** The node whose partition table the view starts from. */
  readonly askedNode: string;
  readonly nodes: ReadonlyArray<NodeView>;
  /** Every partition with its owner, and the progress its owner reported (undefined when it did not). */
  readonly partitions: ReadonlyArray<PartitionTableEntry>;
  readonly routers: ReadonlyArray<PartitionTableEntry>;
  /** The rates of the members that answered, summed. */
  readonly total: Omit<NodeRates, "windowMs">;
}

export interface Options {
  /** Only this correlator's partitions. */
  readonly correlatorId?: string | undefined;
  /** Deadline of each call to a member other than the asked node. Default 2 s. */
  readonly memberDeadline?: number;
}

const slotKey = (entry: PartitionTableEntry) => `${entry.correlatorId}/${entry.partition}`;

/** Asks the node at `address`, then every member it lists; fails only when that first node does not answer. */
export const gather = (address: string, options: Options = {}): Effect.Effect<ClusterView, ControlClient.ControlError> =>
  Effect.scoped(
    Effect.gen(function* () {
      const asked = yield* ControlClient.make(address);
      const table = yield* asked.getPartitionTable(options.correlatorId);
      const answers = yield* Effect.forEach(
        table.members,
        (member) =>
          Effect.gen(function* () {
            const client = member.nodeId === table.nodeId ? asked : yield* ControlClient.make(member.address, { deadline: options.memberDeadline ?? 2_000 });
            // The asked node's own table is already here; the others are asked for theirs.
            const own = member.nodeId === table.nodeId ? Effect.succeed(table) : client.getPartitionTable(options.correlatorId);
            return yield* Effect.all([client.getNodeInfo(), own], { concurrency: 2 }).pipe(Effect.either);
          }),
        { concurrency: "unbounded" },
      );
      // Each partition's progress as its owner reported it.
      const reported = new Map<string, PartitionTableEntry>();
      const nodes = table.members.map((member, index): NodeView => {
        const answer = answers[index]!;
        if (answer._tag === "Left") return { ...member, info: undefined, unreachable: answer.left.detail };
        const [info, own]: readonly [NodeInfo, PartitionTable] = answer.right;
        for (const entry of [...own.partitions, ...own.routers]) if (entry.progress !== undefined && entry.owner?.nodeId === member.nodeId) reported.set(slotKey(entry), entry);
        return { ...member, info, unreachable: undefined };
      });
      const withProgress = (entry: PartitionTableEntry): PartitionTableEntry => {
        const fromOwner = reported.get(slotKey(entry));
        return fromOwner !== undefined && entry.owner !== undefined && fromOwner.owner?.nodeId === entry.owner.nodeId ? { ...entry, progress: fromOwner.progress } : entry;
      };
      const rates = nodes.flatMap((node) => (node.info?.rates === undefined ? [] : [node.info.rates]));
      const sum = (pick: (rates: NodeRates) => number) => rates.reduce((total, each) => total + pick(each), 0);
      return {
        askedNode: table.nodeId,
        nodes,
        partitions: table.partitions.map(withProgress),
        routers: table.routers.map(withProgress),
        total: {
          eventsReceivedPerSecond: sum((each) => each.eventsReceivedPerSecond),
          eventsStoredPerSecond: sum((each) => each.eventsStoredPerSecond),
          correlationEventsPerSecond: sum((each) => each.correlationEventsPerSecond),
        },
      };
    }),
  );

const overviewEntry = (entry: PartitionTableEntry): OverviewEntry => ({
  correlatorId: entry.correlatorId,
  partition: entry.partition,
  ownerNode: entry.owner?.nodeId ?? null,
  epoch: entry.owner?.epoch ?? null,
  appliedSequence: entry.progress?.appliedSequence ?? null,
  lag: entry.progress?.lag ?? null,
});

/** The view as the gateway serves it (JSON: null for what is not known), from the node at `address`. */
export const overview = (address: string): Effect.Effect<ClusterOverview, ClusterOverviewUnavailable> =>
  gather(address).pipe(
    Effect.map((view) => ({
      askedNode: view.askedNode,
      nodes: view.nodes.map((node) => {
        const rates = Option.fromNullable(node.info?.rates);
        const rate = (pick: (rates: NodeRates) => number) => Option.getOrNull(Option.map(rates, pick));
        return {
          nodeId: node.nodeId,
          address: node.address,
          draining: node.draining,
          reachable: node.info !== undefined,
          eventsReceivedPerSecond: rate((each) => each.eventsReceivedPerSecond),
          eventsStoredPerSecond: rate((each) => each.eventsStoredPerSecond),
          correlationEventsPerSecond: rate((each) => each.correlationEventsPerSecond),
        };
      }),
      total: view.total,
      partitions: view.partitions.map(overviewEntry),
      routers: view.routers.map(overviewEntry),
    })),
    Effect.mapError((error) => new ClusterOverviewUnavailable({ message: error.message, cause: error })),
  );
