// KUMA's messages for schema failures, from the validator's reports.
import { describe, expect, it } from "vitest"
import { validationAnswer } from "./ValidationAnswer.ts"

describe("validationAnswer", () => {
  it("a missing field is '<field> required', nested ones by KUMA's path", () => {
    expect(validationAnswer([{ keyword: "required", instancePath: "", params: { missingProperty: "reason" } }], "body")).toEqual({ message: "reason required", details: "" })
    expect(validationAnswer([{ keyword: "required", instancePath: "/period", params: { missingProperty: "from" } }], "body")).toEqual({ message: "period.from required", details: "" })
  })

  it("a bad top-level value is 'invalid <field>', a nested one 'invalid value' with the path", () => {
    expect(validationAnswer([{ keyword: "enum", instancePath: "/reason", params: {}, message: "must be equal to one of the allowed values" }], "body")).toEqual({
      message: "invalid reason",
      details: "must be equal to one of the allowed values"
    })
    expect(validationAnswer([{ keyword: "format", instancePath: "/assets/0/ipAddresses/1", params: {} }], "body")).toEqual({ message: "invalid value", details: "assets[0].ipAddresses[1]" })
  })

  it("a field the schema does not allow is 'unknown field' naming it; a wrong body type is 'invalid request'", () => {
    expect(validationAnswer([{ keyword: "additionalProperties", instancePath: "", params: { additionalProperty: "tenant" } }], "body")).toEqual({ message: "unknown field", details: "tenant" })
    expect(validationAnswer([{ keyword: "type", instancePath: "", params: {}, message: "must be object" }], "body")).toEqual({ message: "invalid request", details: "body must be object" })
    expect(validationAnswer([], undefined)).toEqual({ message: "invalid request", details: "" })
  })
})
