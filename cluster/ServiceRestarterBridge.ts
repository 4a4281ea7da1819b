// The gateway's ServiceRestarter on a running node: the live members come from the membership,
// and each is asked over its control plane (RestartService) to restart the service if it runs it.
// A collector or storage writer runs on each node that has it, so every live member is asked; a
// correlator's rules are the cluster's (one reload reaches every node), so the first member that
// runs it is enough.
import { Duration, Effect } from "effect"
import * as grpc from "@grpc/grpc-js"
import { ServiceNotRunning, ServiceRestartError, type RestartRequest, type ServiceRestarterShape } from "../gateway/ServiceRestarter.ts"
import * as ControlClient from "./control/ControlClient.ts"
import { Membership, type MemberInfo } from "./ownership/Membership.ts"

export interface ServiceRestarterBridgeOptions {
  /** Deadline of each member's restart (it answers once the service runs again). Default 60 s. */
  readonly restartDeadline?: Duration.DurationInput
}

type MemberAnswer = { readonly _tag: "restarted"; readonly nodeId: string } | { readonly _tag: "notHere" } | { readonly _tag: "failed"; readonly error: ControlClient.ControlError }

/** The restarter over the cluster the node belongs to. */
export const make = (options: ServiceRestarterBridgeOptions = {}): Effect.Effect<ServiceRestarterShape, never, Membership> =>
  Effect.gen(function* () {
    const membership = yield* Membership
    const deadline = options.restartDeadline ?? Duration.seconds(60)

    const ask = (member: MemberInfo, request: RestartRequest): Effect.Effect<MemberAnswer> =>
      Effect.scoped(
        Effect.gen(function* () {
          const client = yield* ControlClient.make(member.address)
          return yield* client.restartService({ serviceId: request.serviceId, tenantId: request.tenantId, requestedBy: request.requestedBy }, deadline)
        })
      ).pipe(
        Effect.map((answer): MemberAnswer => ({ _tag: "restarted", nodeId: answer.nodeId })),
        Effect.catchAll((error) => Effect.succeed<MemberAnswer>(error.code === grpc.status.NOT_FOUND ? { _tag: "notHere" } : { _tag: "failed", error }))
      )

    const restart = (request: RestartRequest) =>
      Effect.gen(function* () {
        const members = yield* Effect.mapError(membership.members, (cause) => new ServiceRestartError({ message: "cluster membership unavailable", cause }))
        const answers: Array<MemberAnswer> = []
        if (request.kind === "correlator") {
          for (const member of members) {
            const answer = yield* ask(member, request)
            answers.push(answer)
            if (answer._tag === "restarted") break
          }
        } else {
          answers.push(...(yield* Effect.forEach(members, (member) => ask(member, request), { concurrency: "unbounded" })))
        }
        const failed = answers.flatMap((answer) => (answer._tag === "failed" ? [answer.error] : []))
        const nodes = answers.flatMap((answer) => (answer._tag === "restarted" ? [answer.nodeId] : []))
        if (failed.length > 0) {
          return yield* new ServiceRestartError({ message: `service ${request.serviceId}: ${failed.map((error) => error.message).join("; ")}`, cause: failed })
        }
        if (nodes.length === 0) return yield* new ServiceNotRunning({ serviceId: request.serviceId })
        return { nodes }
      })

    return { restart } satisfies ServiceRestarterShape
  })
