// Sends newline-delimited records to a collector over a real TCP connection, as an agent would.
import { connect } from "node:net"

export const sendLines = (host: string, port: number, lines: ReadonlyArray<string>): Promise<void> =>
  new Promise((resolve, reject) => {
    const socket = connect(port, host, () => {
      socket.end(lines.map((line) => `${line}\n`).join(""), () => resolve())
    })
    socket.once("error", reject)
  })
