// The source address stamped on a record: the peer's IP as the operator writes it in rules and
// per-address normalizer choices, so IPv4 peers on a dual-stack socket lose their "::ffff:" prefix.

const MappedIpv4Prefix = "::ffff:"

/** The peer IP of a socket, "unknown" once the socket is gone. */
export const sourceAddress = (remoteAddress: string | undefined): string => {
  if (remoteAddress === undefined) return "unknown"
  return remoteAddress.startsWith(MappedIpv4Prefix) && remoteAddress.includes(".") ? remoteAddress.slice(MappedIpv4Prefix.length) : remoteAddress
}
