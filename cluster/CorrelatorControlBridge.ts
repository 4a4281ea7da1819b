// The gateway's CorrelatorControl on a running node: the correlators are the node's deployment's
// (as the supervisor runs them) at the correlator registry's newest revision (the deployment's
// spec before anything was stored); validating and deploying go through the node's own control
// plane (DeployCorrelator, with validate_only for a check), the path `corvus rules deploy` takes,
// so the console is refused with the very words the CLI prints.
import * as grpc from "@grpc/grpc-js"
import { Effect, Option } from "effect"
import { stringify as toYaml } from "yaml"
import {
  CorrelatorChangeRefused,
  CorrelatorControlError,
  CorrelatorDocumentInvalid,
  CorrelatorNotRunning,
  type CorrelatorControlShape,
  type CorrelatorDocument,
  type CorrelatorView,
  type DeployFailure,
  type DeployOutcome,
  specJsonOf
} from "../gateway/CorrelatorControl.ts"
import * as ControlClient from "./control/ControlClient.ts"
import { CorrelatorRegistry } from "./CorrelatorRegistry.ts"
import type { SupervisedCorrelator } from "./PartitionSupervisor.ts"

export interface CorrelatorControlBridgeOptions {
  /** The node's correlators with their partition counts, as the supervisor runs them. */
  readonly correlators: ReadonlyArray<SupervisedCorrelator>
  /** The node's own control plane. */
  readonly controlAddress: string
}

/** The control over the running cluster the node belongs to. */
export const make = (options: CorrelatorControlBridgeOptions): Effect.Effect<CorrelatorControlShape, never, CorrelatorRegistry> =>
  Effect.gen(function* () {
    const registry = yield* CorrelatorRegistry

    const viewOf = (supervised: SupervisedCorrelator): Effect.Effect<CorrelatorView, CorrelatorControlError> =>
      registry.current(supervised.spec.id).pipe(
        Effect.map((current) => {
          const { spec, revision } = Option.getOrElse(current, () => ({ spec: supervised.spec, revision: 0 }))
          return { id: spec.id, tenantID: spec.tenantId, name: spec.name, revision, partitions: supervised.partitions, spec, document: toYaml(specJsonOf(spec)) }
        }),
        Effect.mapError((cause) => new CorrelatorControlError({ message: `correlator registry unavailable for ${supervised.spec.id}`, cause }))
      )

    const list = Effect.forEach(options.correlators, viewOf, { concurrency: 8 })

    const get = (correlatorId: string) =>
      Effect.suspend(() => {
        const supervised = options.correlators.find(({ spec }) => spec.id === correlatorId)
        return supervised === undefined ? Effect.succeed(Option.none<CorrelatorView>()) : Effect.map(viewOf(supervised), Option.some)
      })

    // The node's answer in the gateway's terms; the refusal's message is the node's, word for word.
    const failureOf = (error: ControlClient.ControlError, document: CorrelatorDocument): DeployFailure => {
      switch (error.code) {
        case grpc.status.INVALID_ARGUMENT:
          return new CorrelatorDocumentInvalid({ message: error.detail })
        case grpc.status.FAILED_PRECONDITION:
          return new CorrelatorChangeRefused({ message: error.detail })
        case grpc.status.NOT_FOUND:
          return new CorrelatorNotRunning({ correlatorId: error.detail })
        default:
          return new CorrelatorControlError({ message: `correlator document (${document.format}) could not be sent: ${error.message}`, cause: error })
      }
    }

    const send = (document: CorrelatorDocument, validateOnly: boolean): Effect.Effect<DeployOutcome, DeployFailure> =>
      Effect.scoped(
        Effect.flatMap(ControlClient.make(options.controlAddress), (client) =>
          client.deployCorrelator({ document: document.document, format: document.format, validateOnly })
        )
      ).pipe(Effect.mapError((error) => failureOf(error, document)))

    return {
      list,
      get,
      validate: (document) => send(document, true),
      deploy: (document) => send(document, false)
    } satisfies CorrelatorControlShape
  })
