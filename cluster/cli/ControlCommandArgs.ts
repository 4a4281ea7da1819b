// What `corvus cluster ...`, `corvus node ...` and `corvus rules ...` share: one subcommand and
// its operands, `--control host:port` (the node to ask), `--help`, and the same refusals with exit
// status 2.
import { Console, Effect } from "effect"
import { parseArgs, type ParseArgsConfig } from "node:util"

// host:port, the host a name, an IPv4 address or a bracketed IPv6 address.
const ControlAddress = /^(\[[0-9A-Fa-f:.]+\]|[^\s:[\]]+):\d{1,5}$/

type Options = NonNullable<ParseArgsConfig["options"]>

/** The parsed options: `control` always, the command's own string options when given, and each operand under its name. */
export type ControlCommandValues = { readonly control: string } & Readonly<Record<string, string | boolean | undefined>>

/**
 * Parses `args` for `corvus <command> <subcommand> <operands...>`; answers the option values (the
 * operands under their names), or the exit status when there is nothing more to do (help
 * printed: 0; a usage error printed: 2).
 */
export const parseControlCommand = <const O extends Options>(
  command: string,
  subcommand: string,
  options: O,
  help: string,
  args: ReadonlyArray<string>,
  operands: ReadonlyArray<string> = []
) =>
  Effect.gen(function* () {
    const flags = { ...options, control: { type: "string", default: "127.0.0.1:7225" }, help: { type: "boolean", short: "h", default: false } } as const
    const parsed = yield* Effect.try(() => parseArgs({ args: [...args], options: flags, strict: true, allowPositionals: true })).pipe(Effect.either)
    if (parsed._tag === "Left") {
      yield* Console.error(`corvus ${command}: ${(parsed.left.error as Error).message}\n(corvus ${command} --help lists the options)`)
      return 2
    }
    const { values, positionals } = parsed.right as unknown as { values: ControlCommandValues & { help: boolean }; positionals: Array<string> }
    if (values.help) {
      yield* Console.log(help)
      return 0
    }
    const [given, ...extra] = positionals
    if (given !== subcommand || extra.length > operands.length) {
      yield* Console.error(`corvus ${command}: ${given === undefined ? "missing subcommand" : `unknown subcommand "${[given, ...extra].join(" ")}"`}\n\n${help}`)
      return 2
    }
    if (extra.length < operands.length) {
      yield* Console.error(`corvus ${command} ${subcommand}: missing <${operands[extra.length]}>\n\n${help}`)
      return 2
    }
    if (!ControlAddress.test(values.control)) {
      yield* Console.error(`corvus ${command}: --control must be host:port, not '${values.control}'`)
      return 2
    }
    const named: Record<string, string> = {}
    operands.forEach((name, index) => (named[name] = extra[index]!))
    return { ...values, ...named } as ControlCommandValues
  })
