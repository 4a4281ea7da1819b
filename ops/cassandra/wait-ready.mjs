// One CQL readiness probe for ops/cassandra/ensure.sh (ensure.sh does the retrying).
//
//   node ops/cassandra/wait-ready.mjs [host:port] [localDataCenter]
//
// Connects with cassandra-driver (resolved from the repo root's node_modules),
// runs `SELECT release_version FROM system.local`, prints the version to stdout
// and exits 0; exits 1 with the error on stderr otherwise.
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const require = createRequire(path.join(repoRoot, "package.json"));

const contactPoint = process.argv[2] ?? "127.0.0.1:19042";
const localDataCenter = process.argv[3] ?? "datacenter1";

let client;
try {
  const cassandra = require("cassandra-driver");
  client = new cassandra.Client({
    contactPoints: [contactPoint],
    localDataCenter,
    socketOptions: { connectTimeout: 3000, readTimeout: 8000 },
    pooling: { warmup: false },
  });
  const rs = await client.execute("SELECT release_version FROM system.local");
  const version = rs.first()?.get("release_version");
  if (!version) throw new Error("system.local returned no release_version");
  process.stdout.write(`${version}\n`);
  await client.shutdown().catch(() => {});
  process.exit(0);
} catch (err) {
  process.stderr.write(`cassandra not ready at ${contactPoint}: ${err?.message ?? err}\n`);
  if (client) await client.shutdown().catch(() => {});
  process.exit(1);
}
