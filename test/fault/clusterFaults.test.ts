// Fault tests on a real cluster of node processes (DESIGN "Distribution", issue 6): under a
// steady load, a node joins, one is SIGKILLed mid-window and restarted, one is paused past its
// leases and resumed, one drains and stops, and the whole cluster restarts. After each, the
// stored events, correlation events and alerts so far must equal the single-node oracle's
// (FaultCluster.verify): nothing accepted lost, nothing doubled. The scenarios run in order on
// one cluster, so each also proves the state the previous ones left behind.
import { afterAll, describe, expect, it } from "vitest"
import { makeFaultCluster, sleep } from "./FaultCluster.ts"

const Partitions = 8
const cluster = makeFaultCluster(Partitions)
// Paced so each load spans its fault: 100 events/s.
const PerSecond = 100

afterAll(() => cluster.close(), 180_000)

describe("a 3-node cluster under faults keeps every event, correlation event and alert exactly once", () => {
  it("a third node joins under load: partitions move to it and correlation goes on unchanged", async () => {
    await cluster.start(1)
    await cluster.start(2)
    // Let the two nodes settle who owns which partition before the load starts.
    await sleep(2_000)
    await cluster.load(1_200, PerSecond, {
      500: async () => {
        cluster.launch(3)
      }
    })
    await cluster.running(3)
    const result = await cluster.verify()
    expect(result.correlations).toBeGreaterThan(100)
  }, 300_000)

  it("SIGKILL a node mid-window, restart it: nothing lost or doubled", async () => {
    await cluster.load(1_500, PerSecond, {
      300: () => cluster.stop(2, "SIGKILL"),
      1_000: async () => cluster.launch(2)
    })
    await cluster.running(2)
    await cluster.verify()
  }, 300_000)

  it("SIGSTOP the node that holds the router past its leases, SIGCONT it: the stale owner's writes are fenced off", async () => {
    const paused = (await cluster.holderOf("soc", Partitions)) ?? 1
    await cluster.load(2_200, PerSecond, {
      200: async () => cluster.signal(paused, "SIGSTOP"),
      // 17 s later: past the 10 s lease and 6 s membership TTLs, the others own its work now.
      1_900: async () => cluster.signal(paused, "SIGCONT")
    })
    await cluster.verify()
  }, 300_000)

  it("drain a node under load, then stop it: its partitions move with their state", async () => {
    let handedOver = -1
    await cluster.load(1_500, PerSecond, {
      400: async () => {
        handedOver = await cluster.drain(3)
      },
      900: () => cluster.stop(3, "SIGTERM")
    })
    expect(handedOver).toBeGreaterThan(0)
    await cluster.verify()
  }, 300_000)

  it("restart the whole cluster under load: state comes back from checkpoints and replay", async () => {
    await cluster.load(1_500, PerSecond, {
      400: async () => {
        await Promise.all([1, 2].map((index) => cluster.stop(index, "SIGTERM")))
      },
      600: async () => {
        for (const index of [1, 2, 3]) cluster.launch(index)
      }
    })
    await Promise.all([1, 2, 3].map((index) => cluster.running(index)))
    await cluster.verify()
  }, 300_000)
})
