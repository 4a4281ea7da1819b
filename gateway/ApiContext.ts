// What API routes need from the node: a way to run store effects, the tenant directory and the
// cluster view.
import { Effect, Exit, Cause, Option } from "effect"
import type { Tenant } from "../model/Tenant.ts"
import type { AlertStore } from "../storage/AlertStore.ts"
import type { AssetCategoryStore } from "../storage/AssetCategoryStore.ts"
import type { AssetStore } from "../storage/AssetStore.ts"
import type { EventStore } from "../storage/EventStore.ts"
import type { IncidentStore } from "../storage/IncidentStore.ts"
import type { ResourceFileStore } from "../storage/ResourceFileStore.ts"
import type { ResourceStore } from "../storage/ResourceStore.ts"
import type { ServiceStore } from "../storage/ServiceStore.ts"
import type { SettingsDefaults, SettingsStore } from "../storage/SettingsStore.ts"
import type { UserStore } from "../storage/UserStore.ts"
import type { ClusterOverview, ClusterOverviewUnavailable } from "./ClusterOverview.ts"
import type { ActiveListImporterShape } from "./ActiveListImporter.ts"
import type { ServiceRestarterShape } from "./ServiceRestarter.ts"
import type { CorrelatorControlShape } from "./CorrelatorControl.ts"
import { ApiError } from "./ApiError.ts"

/** The stores routes read and write; every node provides them all. */
export type GatewayStores = AlertStore | EventStore | UserStore | IncidentStore | AssetStore | ServiceStore | ResourceStore | ResourceFileStore | AssetCategoryStore | SettingsStore | SettingsDefaults

/** Runs an effect that needs the stores; resolves with its exit. */
export type StoreRunner = <A, E>(effect: Effect.Effect<A, E, GatewayStores>) => Promise<Exit.Exit<A, E>>

export interface ApiContext {
  readonly run: StoreRunner
  readonly tenants: ReadonlyArray<Tenant>
  /** Logs an internal failure that the client sees only as a 500. */
  readonly logInternal: (message: string, cause: unknown) => void
  /** The running correlators' active lists; absent where none is wired (every correlator then reads as unknown). */
  readonly activeListImporter?: ActiveListImporterShape
  /** The cluster as the node's control plane reports it; absent where no control plane runs (tests of other routes). */
  readonly cluster?: Effect.Effect<ClusterOverview, ClusterOverviewUnavailable>
  /** Restarts a running service through the nodes that run it; absent where none is wired (every service then reads as not running). */
  readonly serviceRestarter?: ServiceRestarterShape
  /** The running correlators' rules (view, validate, deploy); absent where none is wired (no correlator then runs). */
  readonly correlatorControl?: CorrelatorControlShape
}

/** Runs `effect`; domain failures become ApiErrors via `mapError`, anything else a bare 500. */
export const runOrFail = async <A, E>(
  context: ApiContext,
  effect: Effect.Effect<A, E, GatewayStores>,
  mapError: (error: E) => ApiError | undefined = () => undefined
): Promise<A> => {
  const exit = await context.run(effect)
  if (Exit.isSuccess(exit)) return exit.value
  const failure = Cause.failureOption(exit.cause)
  if (Option.isSome(failure)) {
    const mapped = mapError(failure.value)
    if (mapped !== undefined) throw mapped
  }
  context.logInternal("request failed", Cause.pretty(exit.cause))
  throw new ApiError(500, "internal error", "")
}
