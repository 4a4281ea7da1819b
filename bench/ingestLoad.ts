// The load side of bench:ingest, in its own process: builds `count` records of exactly 500 bytes
// in one format, tells the parent it starts, and writes them to the collector as fast as TCP takes them.
// Usage (by bench/ingest.ts): ingestLoad.ts json|cef|syslog <count> <port>
import { connect } from "node:net"

const [format, countText, portText] = process.argv.slice(2)
const count = Number(countText)
const RecordBytes = 500

const pad = (line: string, marker: string): string => {
  // Pads the free-text part so every record, without its delimiter, is exactly 500 bytes.
  const missing = RecordBytes - Buffer.byteLength(line)
  if (missing < 0) throw new Error(`record longer than ${RecordBytes} bytes: ${line}`)
  // The marker's last occurrence is the free text (an earlier one may be part of the format, as in an SD-ID).
  const at = line.lastIndexOf(marker)
  return `${line.slice(0, at)}${"x".repeat(missing)}${line.slice(at + marker.length)}`
}

const record = (i: number, now: number): string => {
  const source = `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`
  const user = `user${i % 1000}`
  const time = new Date(now + i).toISOString()
  switch (format) {
    case "json":
      return pad(JSON.stringify({ Timestamp: now + i, DeviceVendor: "Acme", DeviceProduct: "Gateway", DeviceVersion: "4.2", DeviceEventClassID: "100", Name: "Connection denied", Severity: "5", SourceAddress: source, SourcePort: 40000 + (i % 20000), DestinationAddress: "192.168.1.10", DestinationPort: 443, SourceUserName: user, DeviceAction: "deny", EventOutcome: "failure", TransportProtocol: "TCP", Message: "@" }), "@")
    case "cef":
      return pad(`CEF:0|Acme|Gateway|4.2|100|Connection denied|5|rt=${now + i} src=${source} spt=${40000 + (i % 20000)} dst=192.168.1.10 dpt=443 suser=${user} act=deny outcome=failure proto=TCP cs1Label=policy cs1=default-deny msg=@`, "@")
    case "syslog":
      return pad(`<134>1 ${time} gw-01.example.net gatewayd 4242 DENY [meta@32473 src="${source}" user="${user}" policy="default-deny"] Connection denied from ${source} to 192.168.1.10:443 @`, "@")
    default:
      throw new Error(`unknown format ${format}`)
  }
}

const now = Date.now()
const chunks: Array<Buffer> = []
const PerChunk = 2_000
for (let from = 0; from < count; from += PerChunk) {
  const lines: Array<string> = []
  for (let i = from; i < Math.min(count, from + PerChunk); i++) lines.push(record(i, now))
  chunks.push(Buffer.from(`${lines.join("\n")}\n`))
}

const socket = connect(Number(portText), "127.0.0.1", () => {
  process.send?.("started")
  let next = 0
  const write = (): void => {
    while (next < chunks.length) if (!socket.write(chunks[next++]!)) return void socket.once("drain", write)
    socket.end()
  }
  write()
})
socket.on("error", (cause) => {
  console.error(`ingest load: ${cause.message}`)
  process.exit(1)
})
