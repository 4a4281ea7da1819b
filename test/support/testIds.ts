// Unique names for test resources, so test files can share one NATS cluster and one Cassandra
// node without seeing each other's data.
import { randomBytes } from "node:crypto"

export const uniqueSuffix = (): string => `${Date.now().toString(36)}${randomBytes(4).toString("hex")}`
