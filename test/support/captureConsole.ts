// Runs a command in process with what it prints to the console captured, for CLI tests.
import { Effect } from "effect"
import { vi } from "vitest"

/** The command's exit status and everything it wrote with console.log / console.error. */
export const captured = (command: Effect.Effect<number>) =>
  Effect.acquireUseRelease(
    Effect.sync(() => {
      const output = { stdout: "", stderr: "" }
      const log = vi.spyOn(console, "log").mockImplementation((...args: Array<unknown>) => void (output.stdout += `${args.join(" ")}\n`))
      const error = vi.spyOn(console, "error").mockImplementation((...args: Array<unknown>) => void (output.stderr += `${args.join(" ")}\n`))
      return { output, restore: () => (log.mockRestore(), error.mockRestore()) }
    }),
    ({ output }) => Effect.map(command, (code) => ({ code, ...output })),
    ({ restore }) => Effect.sync(restore)
  )
