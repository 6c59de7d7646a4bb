# METADATA
# title: Approval as a policy outcome
# description: |
#   A request the other rules allow may still need a human's approval. This
#   package collects the requests for one (destructive tools for the roles
#   data names; flow rules whose outcome is "approval") into one object
#   (`held`) {reason, approvers, timeout_s, rules}; the decision then answers
#   allow false with code ERR_APPROVAL_REQUIRED and that object, and the
#   runtime holds the call until someone approves (docs/approvals.md).
#   `approvers` are roles; empty means the caller itself confirms (by MCP
#   elicitation) or, out of band, anyone holding admin:approvals:write.
#   It also decides who may approve a held call (method
#   admin/approvals/decide, input.request.approval).
package hatago.approval

import data.hatago.flows
import data.hatago.lib
import data.hatago.rbac

# --- destructive tools ------------------------------------------------------

# The operator's security.approval.destructive replaces the bundle's rule
# (false switches it off); else data.hatago.approvalPolicy.destructive.
default destructive := {}

destructive := data.config.approval.destructive if {
	is_object(data.config.approval.destructive)
} else := data.hatago.approvalPolicy.destructive if {
	not data.config.approval.destructive == false
	is_object(data.hatago.approvalPolicy.destructive)
}

default destructive_roles := set()

destructive_roles := {r | some r in destructive.roles; is_string(r)} if is_array(destructive.roles)

# The upstream's own claim: annotations.destructiveHint literally true. A tool
# without the hint is not taken as destructive here (flow labels cover
# tools an operator knows better than its server does).
destructive_call if {
	input.request.method == "tools/call"
	input.request.annotations.destructiveHint == true
	some r in rbac.effective_roles
	role_applies(r)
}

role_applies(r) if destructive_roles[r]

# "*" is everyone, a caller with no known role included.
destructive_call if {
	input.request.method == "tools/call"
	input.request.annotations.destructiveHint == true
	destructive_roles["*"]
}

default destructive_timeout := 300

destructive_timeout := destructive.timeout_s if is_number(destructive.timeout_s)

default destructive_approvers := []

destructive_approvers := [a | some a in destructive.approvers; is_string(a)] if is_array(destructive.approvers)

requests contains {
	"rule": "approval.destructive",
	"reason": lib.msg(["tool ", input.request.exposed, " says it is destructive (destructiveHint)"]),
	"approvers": destructive_approvers,
	"timeout_s": destructive_timeout,
} if {
	destructive_call
}

requests contains r if some r in flows.approval_requests

required if count(requests) > 0

# Several requests: every reason, any approver named, the shortest timeout.
held := {
	"reason": concat("; ", sort({r.reason | some r in requests})),
	"approvers": sort({a | some r in requests; some a in r.approvers}),
	"timeout_s": min({r.timeout_s | some r in requests}),
	"rules": sort({r.rule | some r in requests}),
} if {
	required
}

# The reasons a held call's decision names (its rules, for the log and audit).
reasons := [{"rule": r.rule, "message": r.reason} | some r in requests]

# --- who may approve --------------------------------------------------------

deciding if input.request.method == "admin/approvals/decide"

admin_methods := {"admin/approvals", "admin/approvals/decide"}

# Listing and deciding need a role granting the admin permission even with
# authorization off (when RBAC allows everything): else any caller could
# approve its own held call.
deny contains {"rule": "approval.admin_required", "message": lib.msg([input.request.method, " needs a role granting ", rbac.admin_needed, ", authorization on or off"])} if {
	rbac.disabled
	admin_methods[input.request.method]
	count(rbac.admin_roles) == 0
}

deny contains {"rule": "approval.unknown", "message": "input.request.approval is not an object"} if {
	deciding
	not is_object(object.get(input, ["request", "approval"], null))
}

deny contains {"rule": "approval.not_an_approver", "message": lib.msg(["approvers are ", input.request.approval.approvers, "; the principal holds ", sort(rbac.effective_roles)])} if {
	deciding
	is_array(input.request.approval.approvers)
	count(input.request.approval.approvers) > 0
	count({r | some r in input.request.approval.approvers; rbac.effective_roles[r]}) == 0
}
