// The options of an in-process test node: loopback, every port chosen by the system, the test
// admin token. Tests name only what they care about (id, mode, partitions, roles).
import type * as Node from "../../cluster/Node.ts"

/** The admin token every in-process test node provisions. */
export const TestAdminToken = "admin-token"

/** Node options for a test: embedded mode and 2 partitions unless `overrides` says otherwise. */
export const testNodeOptions = (nodeId: string, overrides: Partial<Node.NodeOptions> = {}): Node.NodeOptions => ({
  nodeId,
  mode: "embedded",
  host: "127.0.0.1",
  apiPort: 0,
  consolePort: 0,
  controlPort: 0,
  adminToken: TestAdminToken,
  version: "test",
  partitions: 2,
  ...overrides
})
