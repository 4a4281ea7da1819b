// The agent's TLS material: the CA that collector certificates must chain to, and the optional
// client identity for two-way authentication, a PKCS#12 container that must have a password.
import { Effect, Redacted } from "effect"
import { X509Certificate } from "node:crypto"
import { readFile } from "node:fs/promises"
import * as Pkcs12 from "../tls/Pkcs12.ts"
import type { TlsConfigInvalid } from "../tls/TlsConfigInvalid.ts"
import { type AgentDocument, AgentConfigInvalid } from "./AgentConfig.ts"
import type { TlsClientSettings } from "./CollectorLink.ts"

const readSetting = (path: string, what: string) =>
  Effect.tryPromise({
    try: () => readFile(path),
    catch: (cause) => new AgentConfigInvalid({ message: `cannot read ${what} ${path}: ${(cause as Error).message}` })
  })

/** Loads the CA and the client identity; every unusable setting fails with a message naming the file and the fix. */
export const loadTlsSettings = (
  tls: AgentDocument["tls"],
  passwordFromEnv: Redacted.Redacted<string> | undefined
): Effect.Effect<TlsClientSettings, AgentConfigInvalid | TlsConfigInvalid> =>
  Effect.gen(function* () {
    let ca: string | undefined
    if (tls.ca !== undefined) {
      ca = (yield* readSetting(tls.ca, "the CA certificate file")).toString("utf8")
      const pem = ca
      yield* Effect.try({
        try: () => new X509Certificate(pem),
        catch: () => new AgentConfigInvalid({ message: `${tls.ca} is not a PEM certificate (tls.ca must be the Corvus CA certificate)` })
      })
    }
    let pfx: Buffer | undefined
    let passphrase: string | undefined
    if (tls.pfx !== undefined) {
      const password =
        tls.passwordFile !== undefined
          ? (yield* readSetting(tls.passwordFile, "the PKCS#12 password file")).toString("utf8").replace(/\r?\n$/, "")
          : passwordFromEnv !== undefined
            ? Redacted.value(passwordFromEnv)
            : ""
      if (password === "")
        return yield* new AgentConfigInvalid({
          message:
            `the PKCS#12 container ${tls.pfx} needs its password: set CORVUS_AGENT_PFX_PASSWORD or tls.passwordFile (--pfx-password-file). ` +
            "An empty password is refused: the agent's identity must be a password-protected container"
        })
      const identity = yield* Pkcs12.open(yield* readSetting(tls.pfx, "the PKCS#12 file"), password, { path: tls.pfx })
      pfx = identity.pfx
      passphrase = identity.passphrase
    }
    return { ca, pfx, passphrase, serverName: tls.serverName }
  })
