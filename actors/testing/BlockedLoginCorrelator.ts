// A test correlator for active lists: one simple rule fires for a login from an address on its
// `blocked` list; `watched` keeps records a minute. Shared by the engine's import and record tests.
import { Schema } from "effect"
import type { NormalizedEvent } from "../../model/Event.ts"
import { TenantId } from "../../model/Ids.ts"
import { CorrelatorSpec } from "../../model/Rule.ts"
import type { CorrelatorEngine } from "../CorrelatorEngine.ts"

export const t0 = Date.UTC(2024, 4, 1, 10, 0, 0)
export const source = TenantId.make("tenant-2")

let lastId = 0
/** A base event of the source tenant with a fresh id. */
export const event = (timestamp: number, fields: Partial<NormalizedEvent> = {}): NormalizedEvent => ({
  ID: `00000000-0000-4000-8000-${(++lastId).toString(16).padStart(12, "0")}`,
  Timestamp: timestamp,
  TenantID: source,
  Type: 1,
  ...fields
})

/** The correlator, with `lists` as its declared active lists. */
export const blockedLoginSpec = (lists: ReadonlyArray<Record<string, unknown>> = [{ name: "blocked", ttlSeconds: 0 }, { name: "watched", ttlSeconds: 60 }]): CorrelatorSpec =>
  Schema.decodeUnknownSync(CorrelatorSpec)({
    id: "lists-correlator",
    tenantId: "main",
    name: "Lists",
    sources: [{ tenantId: source }],
    activeLists: lists,
    rules: [
      {
        kind: "simple",
        id: "blocked-login",
        name: "Blocked login",
        selector: { filter: { and: [{ field: "DeviceAction", op: "=", value: "login" }, { op: "inActiveList", list: "blocked", keyFields: ["SourceAddress"] }] } }
      }
    ]
  })

/** A login from `address`. */
export const login = (timestamp: number, address: string) => event(timestamp, { DeviceAction: "login", SourceAddress: address })

/** The source addresses the rule fired for on `events`. */
export const fired = (engine: CorrelatorEngine, events: ReadonlyArray<NormalizedEvent>) =>
  engine.processBatch(events).correlations.map((correlation) => correlation.event.SourceAddress)
