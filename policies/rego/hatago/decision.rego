# METADATA
# title: hatago decision (policy contract v2)
# description: |
#   The single entrypoint `hatago/decision`. The runtime evaluates it once per
#   HTTP request (stage "network") and once per MCP request (stage "request")
#   and enforces the object it returns. Deny unless a rule allows.
#   Contract: docs/policy-contract.md.
package hatago

import data.hatago.approval
import data.hatago.arguments
import data.hatago.breaker
import data.hatago.flows
import data.hatago.lib
import data.hatago.login
import data.hatago.network
import data.hatago.pinning
import data.hatago.ratelimit
import data.hatago.rbac
import data.hatago.sessions
import data.hatago.suspicious
import data.hatago.token

# METADATA
# title: decision
# description: The one entrypoint (opa build -e hatago/decision); one object per stage.
# entrypoint: true
default decision := {
	"allow": false,
	"code": "ERR_PERMISSION_DENIED",
	"reasons": [{"rule": "hatago.unknown_stage", "message": "input.stage must be \"network\" or \"request\""}],
}

decision := network_decision if input.stage == "network"

decision := request_decision if input.stage == "request"

# Asked once per verified token, before authorization: does it carry the
# scopes this resource requires (RFC 6750 insufficient_scope)? See hatago.token.
decision := token_decision if input.stage == "token"

# Asked once per call of a token endpoint (POST /auth/login, /auth/refresh,
# /auth/logout), before the body is read: allowed, and its rate limits.
decision := login.decision if input.stage == "auth"

# Asked after each authentication failure or denial: is this burst suspicious, block the address?
decision := suspicious.decision if input.stage == "suspicious"

# Asked once per server set at start and on every policy activation (not per
# request): which breaker rule each server uses and how errors are classified.
decision := {"allow": true, "reasons": [], "breakers": breaker.table} if input.stage == "breaker_table"

# Asked by AuthorizationManager.checkPermission (the TypeScript API, never
# for a client's message) for a permission that is not one MCP request
# (mcp:tools:*, server:filesystem:*, admin:servers:manage): does the
# principal hold input.permission? See rbac.holds.
decision := permission_decision if input.stage == "permission"

# Asked once per data load: what the policy derives from data alone, handed
# back by the runtime as data.compiled (see rbac.compiled_role_grants).
decision := {"allow": true, "reasons": [], "compiled": {"role_grants": rbac.compiled_role_grants}} if input.stage == "compile"

# Asked once per definition description and policy revision (not per
# request): which instruction patterns it matches. The runtime hands the
# answer back as input.definition.instruction_hits (see hatago.pinning).
decision := {"allow": true, "reasons": [], "instruction_hits": pinning.scan_hits} if input.stage == "pinning_scan"

# --- shared -----------------------------------------------------------------

contract_deny contains lib.contract_reason if {
	not input.contract == lib.contract
}

default custom_deny := set()

custom_deny := data.hatago.custom.deny if is_set(data.hatago.custom.deny)

default custom_hidden := set()

custom_hidden := data.hatago.custom.hidden if is_set(data.hatago.custom.hidden)

# Validation rules (hatago.validation) apply to every request, authorization on or off.
validation_deny := data.hatago.validation.violations

stdio if input.transport == "stdio"

# Reasons as a sorted array (sets of objects sort deterministically).
as_list(s) := [r | some r in s]

# --- stage "network" --------------------------------------------------------

# An open endpoint (probes, RFC 9728 metadata: network.open_endpoints) passes
# the address, Origin and block rules; contract and custom rules still apply.
network_rules_apply if {
	not stdio
	not network.open_endpoint
}

default network_rule_deny := set()

network_rule_deny := network.deny if network_rules_apply

default suspicious_deny := set()

suspicious_deny := suspicious.network_deny if network_rules_apply

network_reasons := ((contract_deny | network_rule_deny) | custom_deny) | suspicious_deny

default client_ip := null

client_ip := network.client_ip if not stdio

default network_code := "ERR_NETWORK_DENIED"

network_code := network.code if count(network_rule_deny) > 0

network_code := "ERR_CLIENT_BLOCKED" if {
	count(network_rule_deny) == 0
	count(suspicious_deny) > 0
}

network_decision := {"allow": true, "reasons": [], "client_ip": client_ip} if {
	input.contract == lib.contract
	count(network_reasons) == 0
} else := object.union(
	{
		"allow": false,
		"code": network_code,
		"reasons": default_reason(network_reasons),
		"client_ip": client_ip,
	},
	network_block_end,
)

# ERR_CLIENT_BLOCKED says when the block ends.
default network_block_end := {}

network_block_end := {"blocked_until_ns": suspicious.blocked_until_ns} if network_code == "ERR_CLIENT_BLOCKED"

# --- stage "request" --------------------------------------------------------

# A null (or missing) principal is anonymous: allowed only when the operator
# disabled authentication explicitly; it then gets defaultRole.
anonymous if {
	not is_object(input.principal)
}

authn_deny contains {"rule": "authn.required", "message": "no authenticated principal and authentication is not disabled"} if {
	anonymous
	not data.config.authentication.enabled == false
}

default arguments_deny := set()

arguments_deny := arguments.deny if not rbac.disabled

# Pinning applies authorization on or off, like validation (docs/pinning.md).
pinning_deny := pinning.deny

# Flow rules that deny, and who may decide a held call, apply authorization on or off, like pinning.
flow_deny := flows.deny | approval.deny

request_reasons := ((((((contract_deny | authn_deny) | rbac.deny) | arguments_deny) | custom_deny) | validation_deny) | pinning_deny) | flow_deny

default request_code := "ERR_PERMISSION_DENIED"

# Only when validation rules are all that deny: a caller RBAC refuses learns nothing of them.
request_code := "ERR_VALIDATION_FAILED" if {
	count(contract_deny) == 0
	count(authn_deny) == 0
	rbac.allow
	count(validation_deny) > 0
	count(request_reasons) == count(validation_deny)
}

# Likewise when only pinning denies: the caller may use the item, its definition is not approved.
request_code := "ERR_DEFINITION_NOT_APPROVED" if {
	count(contract_deny) == 0
	count(authn_deny) == 0
	rbac.allow
	count(pinning_deny) > 0
	count(request_reasons) == count(pinning_deny)
}

request_code := "ERR_UNAUTHENTICATED" if {
	count(contract_deny) == 0
	count(authn_deny) > 0
}

request_allow if {
	input.contract == lib.contract
	rbac.allow
	count(request_reasons) == 0
}

is_list_method if rbac.spec.type == "list"

default visible := []

# Items custom rules hide, and items whose definition pinning holds.
hidden := custom_hidden | pinning.hidden

visible := rbac.visible if {
	request_allow
	count(hidden) == 0
}

visible := [x | some x in rbac.visible; not hidden[x]] if {
	request_allow
	count(hidden) > 0
}

# An allowed request carries the rate limits that apply to it, a denied one
# its denial budgets; the runtime counts them (docs/rate-limits.md) and
# refuses (429) when any is spent.
# A call the rules allow may still need approval (hatago.approval): it is
# held, not denied, and counts against the limits of an allowed call.
# Approval applies authorization on or off, like pinning.
approval_pending if {
	request_allow
	approval.required
}

# An allowed or held tools/call names its flow labels: the runtime records
# them in the session's history (hatago.flows).
request_decision := {"allow": true, "reasons": [], "visible": visible, "rate_limits": ratelimit.limits} if {
	request_allow
	is_list_method
} else := {
	"allow": false,
	"code": "ERR_APPROVAL_REQUIRED",
	"reasons": approval.reasons,
	"approval": approval.held,
	"rate_limits": ratelimit.limits,
	"flow_labels": flows.labels,
} if {
	approval_pending
} else := object.union({"allow": true, "reasons": [], "rate_limits": ratelimit.limits, "flow_labels": flows.labels}, sessions.extra) if {
	request_allow
} else := {"allow": false, "code": request_code, "reasons": default_reason(request_reasons), "visible": [], "rate_limits": ratelimit.denial_limits} if {
	is_list_method
} else := {"allow": false, "code": request_code, "reasons": default_reason(request_reasons), "rate_limits": ratelimit.denial_limits}

# --- stage "token" ----------------------------------------------------------

token_reasons := (contract_deny | token.deny) | custom_deny

default token_code := "ERR_PERMISSION_DENIED"

# Only when missing scopes are all that deny: a step-up authorization helps then, and only then.
token_code := "ERR_INSUFFICIENT_SCOPE" if {
	count(token.scope_deny) > 0
	count(token_reasons) == count(token.scope_deny)
}

token_decision := {"allow": true, "reasons": []} if {
	input.contract == lib.contract
	count(token_reasons) == 0
} else := {"allow": false, "code": token_code, "reasons": default_reason(token_reasons)}

# --- stage "permission" -----------------------------------------------------

permission_reasons := ((contract_deny | authn_deny) | rbac.permission_deny) | custom_deny

permission_decision := {"allow": true, "reasons": []} if {
	input.contract == lib.contract
	rbac.holds
	count(permission_reasons) == 0
} else := {"allow": false, "code": "ERR_PERMISSION_DENIED", "reasons": default_reason(permission_reasons)}

# A deny always names a rule: if nothing else did, the default deny does.
default_reason(reasons) := as_list(reasons) if count(reasons) > 0

else := [{"rule": "hatago.default_deny", "message": "no rule allowed the request"}]
