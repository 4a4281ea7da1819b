// Deployment files: JSON or YAML, decoded with defaults; a bad file names every field and why.
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { parseDeployment } from "./DeploymentFile.ts"

const yaml = `
tenants:
  - { id: main, name: Main, main: true }
  - { id: t2, name: Tenant 2, main: false }
collectors:
  - id: t2-tcp
    tenantId: t2
    name: Tenant 2 TCP
    connector: { kind: tcp, port: 5140 }
    normalizer: json
correlators:
  - id: soc
    tenantId: main
    name: SOC
    sources: [{ tenantId: t2 }]
    rules:
      - kind: standard
        id: brute-force
        name: Brute force
        selectors: [{ filter: { field: EventOutcome, op: "=", value: failure }, threshold: 5 }]
        identicalFields: [SourceAddress]
        windowSeconds: 60
`

describe("DeploymentFile", () => {
  it.effect("reads a YAML deployment and applies defaults (host, delimiter, priority)", () =>
    Effect.gen(function* () {
      const deployment = yield* parseDeployment(yaml, "corvus.yaml")
      expect(deployment.collectors[0]!.connector).toEqual({ kind: "tcp", host: "127.0.0.1", port: 5140, delimiter: "\n" })
      expect(deployment.correlators[0]!.rules[0]!.priority).toBe(5)
      expect(deployment.correlators[0]!.tenantId).toBe("main")
    }))

  it.effect("reads JSON by the file name", () =>
    Effect.gen(function* () {
      const deployment = yield* parseDeployment(JSON.stringify({ tenants: [{ id: "main", name: "Main", main: true }], collectors: [], correlators: [] }), "d.json")
      expect(deployment.tenants.map((tenant) => tenant.id)).toEqual(["main"])
    }))

  it.effect("refuses a bad deployment with the field path and the reason", () =>
    Effect.gen(function* () {
      const error = yield* parseDeployment(yaml.replace("windowSeconds: 60", "windowSeconds: -1").replace("id: t2-tcp", "id: 't2 tcp'"), "corvus.yaml").pipe(Effect.flip)
      expect(error._tag).toBe("DeploymentInvalid")
      expect(error.message).toContain("windowSeconds")
      expect(error.message).toContain("collectors")
    }))

  it.effect("refuses a file that is not YAML or JSON with its name", () =>
    Effect.gen(function* () {
      const error = yield* parseDeployment("{ not json", "d.json").pipe(Effect.flip)
      expect(error.message).toContain("d.json")
    }))
})
