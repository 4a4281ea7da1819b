// The deployment `npm start` runs when none is given: two customer tenants ship logs through
// their own collectors; the main tenant's SOC correlator watches both for password guessing, and
// Globex keeps a watchlist of the addresses that failed to log on.
import type { DeploymentEncoded } from "../model/Deployment.ts"

/** The demo deployment; its collectors listen on `firstPort` and the next port. */
export const demoDeployment = (host: string, firstPort: number): DeploymentEncoded => ({
  tenants: [
    { id: "main", name: "Main", main: true },
    { id: "acme", name: "Acme Corp", main: false },
    { id: "globex", name: "Globex", main: false }
  ],
  collectors: [
    { id: "acme-gw", tenantId: "acme", name: "Acme perimeter", connector: { kind: "tcp", host, port: firstPort }, normalizer: "json" },
    { id: "globex-gw", tenantId: "globex", name: "Globex perimeter", connector: { kind: "tcp", host, port: firstPort + 1 }, normalizer: "json" }
  ],
  correlators: [
    {
      id: "soc",
      tenantId: "main",
      name: "SOC correlator",
      sources: [{ tenantId: "acme" }, { tenantId: "globex" }],
      rules: [
        {
          kind: "standard",
          id: "password-guessing",
          name: "Password guessing from one address",
          selectors: [{ filter: { and: [{ field: "DeviceEventClassID", op: "=", value: "4625" }, { field: "EventOutcome", op: "=", value: "failure" }] }, threshold: 5 }],
          // TenantID keeps the customers' addresses apart (SPEC §1, scenario 5).
          identicalFields: ["TenantID", "SourceAddress"],
          windowSeconds: 60,
          priority: 9
        }
      ]
    },
    {
      id: "acme-local",
      tenantId: "acme",
      name: "Acme own correlator",
      sources: [{ tenantId: "acme" }],
      rules: [
        {
          kind: "standard",
          id: "port-scan",
          name: "Port scan",
          selectors: [{ filter: { field: "DeviceAction", op: "=", value: "deny" }, threshold: 10 }],
          identicalFields: ["SourceAddress"],
          windowSeconds: 30,
          priority: 6
        }
      ]
    },
    {
      id: "globex-watch",
      tenantId: "globex",
      name: "Globex watchlist",
      sources: [{ tenantId: "globex" }],
      // Addresses that failed to log on in the last hour, with the account they tried: what an
      // analyst looks up in the console's active lists.
      activeLists: [{ name: "failed-logon-sources", ttlSeconds: 3600 }],
      rules: [
        {
          kind: "operational",
          id: "remember-failed-logons",
          name: "Remember failed logon sources",
          selector: { filter: { and: [{ field: "DeviceEventClassID", op: "=", value: "4625" }, { field: "EventOutcome", op: "=", value: "failure" }] } },
          activeLists: [{ op: "set", list: "failed-logon-sources", keyFields: ["SourceAddress"], mapping: [{ listField: "account", eventField: "DestinationUserName" }] }]
        }
      ]
    }
  ]
})
