// Rule resource files: one rule or a list, JSON or YAML, defaults applied, errors with paths.
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { parseRuleFile } from "./RuleFile.ts"

const yaml = `
- kind: standard
  id: brute-force
  name: Brute force
  selectors:
    - filter: { field: EventOutcome, op: "=", value: failure }
      threshold: 5
    - filter: { field: EventOutcome, op: "=", value: success }
      recovery: true
  identicalFields: [SourceAddress]
  uniqueFields: [DestinationUserName]
  windowSeconds: 60
  rateLimit: 10
  actions:
    - trigger: onFirstThreshold
      enrichment: [{ target: Message, source: { template: "{{.SourceAddress}} guessed" } }]
    - trigger: onTimeout
      noAlert: true
- kind: simple
  id: admin-login
  name: Admin login
  selector: { filter: { field: DestinationUserName, op: "=", value: admin } }
- kind: operational
  id: remember
  name: Remember attackers
  selector: { filter: { field: EventOutcome, op: "=", value: failure } }
  activeLists: [{ op: set, list: attackers, keyFields: [SourceAddress], mapping: [{ listField: seen, constant: "1" }] }]
`

describe("RuleFile", () => {
  it.effect("reads a YAML list of simple, standard and operational rules with defaults applied", () =>
    Effect.gen(function* () {
      const rules = yield* parseRuleFile(yaml, "rules.yaml")
      expect(rules.map((rule) => rule.kind)).toEqual(["standard", "simple", "operational"])
      const standard = rules[0]!
      if (standard.kind !== "standard") throw new Error("expected a standard rule")
      expect(standard.selectors[1]!.threshold).toBe(1)
      expect(standard.priority).toBe(5)
      expect(standard.actions[0]!.correlationEvent).toBe(true)
      const simple = rules[1]!
      if (simple.kind !== "simple") throw new Error("expected a simple rule")
      expect(simple.actions.map((action) => action.trigger)).toEqual(["onEveryEvent"])
    }))

  it.effect("reads one JSON rule", () =>
    Effect.gen(function* () {
      const rules = yield* parseRuleFile(JSON.stringify({ kind: "simple", id: "r", name: "R", selector: { filter: { and: [] } } }), "rule.json")
      expect(rules).toHaveLength(1)
    }))

  it.effect("refuses an invalid rule with the field path and the reason", () =>
    Effect.gen(function* () {
      const error = yield* parseRuleFile(yaml.replace("windowSeconds: 60", "windowSeconds: 0").replace("trigger: onTimeout", "trigger: whenever"), "rules.yaml").pipe(Effect.flip)
      expect(error.message).toContain("windowSeconds")
      expect(error.message).toContain("trigger")
      expect(error.message).toContain("rules.yaml")
    }))
})
