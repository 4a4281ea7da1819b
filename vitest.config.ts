// One test run: unit tests beside the code, integration and end-to-end tests under test/.
// The global setup starts the real NATS cluster and Cassandra node (ops/) before any test.
import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["{actors,model,collector,cluster,storage,gateway,test}/**/*.test.ts"],
    globalSetup: ["test/setup/services.ts"],
    testTimeout: 60_000,
    hookTimeout: 240_000,
    // Two cores: integration files share one NATS cluster and one Cassandra node.
    maxWorkers: 2,
    minWorkers: 1,
    // The JSON report lets .ci/run print one plain "N passed, N failed" line.
    reporters: ["default", "json"],
    outputFile: { json: ".corvus/test-results.json" }
  }
})
