// Feeds the demo collectors over real TCP, as endpoint agents would: routine logons, a burst of
// failed logons from one address now and then, and a port scan against Acme.
import { Effect, Schedule } from "effect"
import { connect, type Socket } from "node:net"

export interface DemoTarget {
  readonly host: string
  readonly port: number
  readonly tenantLabel: string
}

const pick = <A>(items: ReadonlyArray<A>, index: number): A => items[index % items.length]!

const users = ["alice", "bob", "carol", "dave", "erin"]
const hosts = ["ws-101", "ws-102", "srv-db-01", "srv-web-02"]

/** The records one tick sends to one target; `tick` counts from 0. */
export const demoRecords = (tick: number, target: DemoTarget): Array<Record<string, unknown>> => {
  const now = new Date().toISOString()
  const records: Array<Record<string, unknown>> = []
  for (let i = 0; i < 5; i++) {
    records.push({
      Timestamp: now,
      DeviceVendor: "Microsoft",
      DeviceProduct: "Windows",
      DeviceEventClassID: "4624",
      Name: "An account was successfully logged on",
      EventOutcome: "success",
      SourceAddress: `10.0.${tick % 7}.${(i * 13) % 250}`,
      DestinationHostName: pick(hosts, tick + i),
      DestinationUserName: pick(users, tick + i)
    })
  }
  // Every 10 s one address guesses passwords: 6 failures trip the threshold of 5.
  if (tick % 10 === 3) {
    const attacker = `203.0.113.${(tick / 10) % 200 | 0}`
    for (let i = 0; i < 6; i++) {
      records.push({
        Timestamp: now,
        DeviceVendor: "Microsoft",
        DeviceProduct: "Windows",
        DeviceEventClassID: "4625",
        Name: "An account failed to log on",
        EventOutcome: "failure",
        SourceAddress: attacker,
        DestinationHostName: pick(hosts, tick),
        DestinationUserName: pick(users, i),
        Message: `demo ${target.tenantLabel}`
      })
    }
  }
  // Every 15 s a scanner walks ports on Acme's perimeter.
  if (tick % 15 === 7 && target.tenantLabel === "acme") {
    for (let port = 20; port < 32; port++) {
      records.push({ Timestamp: now, DeviceVendor: "Corvus", DeviceProduct: "Demo firewall", DeviceAction: "deny", SourceAddress: "198.51.100.77", DestinationPort: port, TransportProtocol: "TCP" })
    }
  }
  return records
}

const open = (target: DemoTarget) =>
  Effect.acquireRelease(
    Effect.async<Socket, Error>((resume) => {
      const socket = connect(target.port, target.host)
      socket.once("connect", () => resume(Effect.succeed(socket)))
      socket.once("error", (error) => resume(Effect.fail(error)))
    }),
    (socket) => Effect.sync(() => socket.end())
  )

/** Sends demo records once a second to every target until the scope closes; reconnects on error. */
export const run = (targets: ReadonlyArray<DemoTarget>) =>
  Effect.forEach(
    targets,
    (target) =>
      Effect.scoped(
        Effect.gen(function* () {
          const socket = yield* open(target)
          let tick = 0
          yield* Effect.suspend(() => {
            const lines = demoRecords(tick++, target).map((record) => JSON.stringify(record)).join("\n") + "\n"
            return Effect.async<void, Error>((resume) => {
              socket.write(lines, (error) => resume(error ? Effect.fail(error) : Effect.void))
            })
          }).pipe(Effect.repeat(Schedule.spaced("1 second")))
        })
      ).pipe(
        Effect.tapError((error) => Effect.logWarning(`demo generator: ${target.host}:${target.port}: ${error.message}`)),
        Effect.retry(Schedule.spaced("2 seconds")),
        Effect.forkScoped
      ),
    { discard: true }
  )
