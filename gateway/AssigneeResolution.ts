// Who may take an alert or an incident: a user named by id or login who is enabled and holds a
// role allowed the work in the tenant. Unknown and unentitled users answer alike.
import { Data, Effect, Option } from "effect"
import type { TenantId } from "../model/Ids.ts"
import type { UserId } from "../model/User.ts"
import { uuidKey } from "../storage/StoreListing.ts"
import { UserStore } from "../storage/UserStore.ts"
import type { Action } from "./Permissions.ts"
import { mayIn, principalOfUser } from "./Principal.ts"

/** No enabled user by that id or login may take the work in the tenant (unknown and unentitled answer alike). */
export class AssigneeUnknown extends Data.TaggedError("AssigneeUnknown")<{ readonly assignee: string }> {}

/** The user a reference (user id or login) names, if enabled and allowed `action` in the tenant. */
export const resolveAssignee = (reference: string, tenantId: TenantId, action: Action, tenants: ReadonlyArray<TenantId>) =>
  Effect.gen(function* () {
    const users = yield* UserStore
    const isUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(reference)
    const found = isUuid ? yield* users.getUser(uuidKey(reference) as UserId) : yield* users.getUserByLogin(reference)
    if (Option.isNone(found) || found.value.disabled || !mayIn(principalOfUser(found.value, tenants), action, tenantId)) {
      return yield* Effect.fail(new AssigneeUnknown({ assignee: reference }))
    }
    return found.value.id
  })
