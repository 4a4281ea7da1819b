// The normalized event (SPEC §2, first subset): one CEF-derived model for every event,
// decoded once at the edges (collector input, bus, storage) and trusted inside.
import { Schema } from "effect"
import { TenantId } from "./Ids.ts"

const str = Schema.optionalWith(Schema.String, { exact: true })
const num = Schema.optionalWith(Schema.Number, { exact: true })
const int = Schema.optionalWith(Schema.Int, { exact: true })

/** Event type codes as KUMA numbers them. */
export const EventType = {
  Base: 1,
  Correlation: 2,
  Aggregated: 3,
  Audit: 4,
  Service: 5
} as const
export type EventType = (typeof EventType)[keyof typeof EventType]

/** The normalized event. Times are epoch milliseconds, UTC. */
export const NormalizedEvent = Schema.Struct({
  // identity and service
  ID: Schema.UUID,
  Timestamp: Schema.Int,
  TenantID: TenantId,
  ServiceID: str,
  ServiceName: str,
  Type: Schema.Literal(1, 2, 3, 4, 5),
  Raw: str,
  Extra: Schema.optionalWith(Schema.Record({ key: Schema.String, value: Schema.String }), { exact: true }),
  Priority: int,
  Code: str,
  StartTime: int,
  EndTime: int,
  ReceiptTime: int,
  // correlation
  CorrelationRuleID: str,
  CorrelationRuleName: str,
  BaseEventIDs: Schema.optionalWith(Schema.Array(Schema.String), { exact: true }),
  BaseEventCount: int,
  GroupedBy: Schema.optionalWith(Schema.Array(Schema.String), { exact: true }),
  // device
  DeviceVendor: str,
  DeviceProduct: str,
  DeviceVersion: str,
  DeviceEventClassID: str,
  Name: str,
  Message: str,
  Severity: str,
  DeviceAction: str,
  DeviceAddress: str,
  DeviceHostName: str,
  DeviceExternalID: str,
  DeviceFacility: str,
  DeviceProcessName: str,
  DeviceTimeZone: str,
  DeviceEventCategory: str,
  // source and destination
  SourceAddress: str,
  SourcePort: int,
  SourceHostName: str,
  SourceUserName: str,
  SourceUserID: str,
  SourceProcessName: str,
  SourceProcessID: int,
  SourceNtDomain: str,
  SourceMacAddress: str,
  DestinationAddress: str,
  DestinationPort: int,
  DestinationHostName: str,
  DestinationUserName: str,
  DestinationUserID: str,
  DestinationProcessName: str,
  DestinationProcessID: int,
  DestinationNtDomain: str,
  DestinationMacAddress: str,
  TransportProtocol: str,
  ApplicationProtocol: str,
  BytesIn: num,
  BytesOut: num,
  EventOutcome: str,
  Reason: str,
  RequestUrl: str,
  RequestMethod: str,
  FileName: str,
  FilePath: str,
  FileHash: str,
  FileSize: num,
  // custom slots
  DeviceCustomString1: str,
  DeviceCustomString1Label: str,
  DeviceCustomString2: str,
  DeviceCustomString2Label: str,
  DeviceCustomString3: str,
  DeviceCustomString3Label: str,
  DeviceCustomString4: str,
  DeviceCustomString4Label: str,
  DeviceCustomString5: str,
  DeviceCustomString5Label: str,
  DeviceCustomString6: str,
  DeviceCustomString6Label: str,
  DeviceCustomNumber1: num,
  DeviceCustomNumber1Label: str,
  DeviceCustomNumber2: num,
  DeviceCustomNumber2Label: str,
  DeviceCustomNumber3: num,
  DeviceCustomNumber3Label: str,
  DeviceCustomIPv6Address1: str,
  DeviceCustomIPv6Address1Label: str,
  DeviceCustomIPv6Address2: str,
  DeviceCustomIPv6Address2Label: str,
  DeviceCustomIPv6Address3: str,
  DeviceCustomIPv6Address3Label: str,
  DeviceCustomIPv6Address4: str,
  DeviceCustomIPv6Address4Label: str,
  DeviceCustomDate1: int,
  DeviceCustomDate1Label: str,
  DeviceCustomDate2: int,
  DeviceCustomDate2Label: str,
  FlexString1: str,
  FlexString1Label: str,
  FlexString2: str,
  FlexString2Label: str,
  FlexNumber1: num,
  FlexNumber1Label: str,
  FlexNumber2: num,
  FlexNumber2Label: str
})
export type NormalizedEvent = typeof NormalizedEvent.Type

/** Any field name of the normalized event. */
export type EventFieldName = keyof NormalizedEvent

/** How a field's value is typed, for normalizers (coercion) and the query language. */
export type EventFieldKind = "string" | "integer" | "number" | "strings" | "map"

/** Every field of the model with its kind; the compiler checks that the list is complete. */
export const EventFieldKinds: { readonly [K in EventFieldName]-?: EventFieldKind } = {
  ID: "string", Timestamp: "integer", TenantID: "string", ServiceID: "string", ServiceName: "string",
  Type: "integer", Raw: "string", Extra: "map", Priority: "integer", Code: "string",
  StartTime: "integer", EndTime: "integer", ReceiptTime: "integer",
  CorrelationRuleID: "string", CorrelationRuleName: "string", BaseEventIDs: "strings",
  BaseEventCount: "integer", GroupedBy: "strings",
  DeviceVendor: "string", DeviceProduct: "string", DeviceVersion: "string", DeviceEventClassID: "string",
  Name: "string", Message: "string", Severity: "string", DeviceAction: "string", DeviceAddress: "string",
  DeviceHostName: "string", DeviceExternalID: "string", DeviceFacility: "string",
  DeviceProcessName: "string", DeviceTimeZone: "string", DeviceEventCategory: "string",
  SourceAddress: "string", SourcePort: "integer", SourceHostName: "string", SourceUserName: "string",
  SourceUserID: "string", SourceProcessName: "string", SourceProcessID: "integer",
  SourceNtDomain: "string", SourceMacAddress: "string",
  DestinationAddress: "string", DestinationPort: "integer", DestinationHostName: "string",
  DestinationUserName: "string", DestinationUserID: "string", DestinationProcessName: "string",
  DestinationProcessID: "integer", DestinationNtDomain: "string", DestinationMacAddress: "string",
  TransportProtocol: "string", ApplicationProtocol: "string", BytesIn: "number", BytesOut: "number",
  EventOutcome: "string", Reason: "string", RequestUrl: "string", RequestMethod: "string",
  FileName: "string", FilePath: "string", FileHash: "string", FileSize: "number",
  DeviceCustomString1: "string", DeviceCustomString1Label: "string", DeviceCustomString2: "string", DeviceCustomString2Label: "string",
  DeviceCustomString3: "string", DeviceCustomString3Label: "string", DeviceCustomString4: "string", DeviceCustomString4Label: "string",
  DeviceCustomString5: "string", DeviceCustomString5Label: "string", DeviceCustomString6: "string", DeviceCustomString6Label: "string",
  DeviceCustomNumber1: "number", DeviceCustomNumber1Label: "string", DeviceCustomNumber2: "number", DeviceCustomNumber2Label: "string",
  DeviceCustomNumber3: "number", DeviceCustomNumber3Label: "string", DeviceCustomIPv6Address1: "string", DeviceCustomIPv6Address1Label: "string",
  DeviceCustomIPv6Address2: "string", DeviceCustomIPv6Address2Label: "string", DeviceCustomIPv6Address3: "string", DeviceCustomIPv6Address3Label: "string",
  DeviceCustomIPv6Address4: "string", DeviceCustomIPv6Address4Label: "string", DeviceCustomDate1: "integer", DeviceCustomDate1Label: "string",
  DeviceCustomDate2: "integer", DeviceCustomDate2Label: "string", FlexString1: "string", FlexString1Label: "string",
  FlexString2: "string", FlexString2Label: "string", FlexNumber1: "number", FlexNumber1Label: "string",
  FlexNumber2: "number", FlexNumber2Label: "string"
}

/** True when `name` is a field of the normalized event. */
export const isEventFieldName = (name: string): name is EventFieldName =>
  Object.prototype.hasOwnProperty.call(EventFieldKinds, name)

/** Decodes untrusted data (bus, storage) into an event, failing with a ParseError. */
export const decodeEvent = Schema.decodeUnknown(NormalizedEvent)
/** Synchronous decode for trusted-but-serialized data; throws on a bug. */
export const decodeEventSync = Schema.decodeUnknownSync(NormalizedEvent)
