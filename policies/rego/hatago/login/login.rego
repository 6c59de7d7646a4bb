# METADATA
# title: Token endpoints (stage "auth")
# description: |
#   Asked once per call of the built-in token endpoints (POST /auth/login,
#   /auth/refresh, /auth/logout), after the network stage and before the body
#   is read or a password checked. Allows a known endpoint and names its rate
#   limits: the bundle's built-in limits (data.hatago.tokenEndpoints.rateLimits,
#   e.g. 10 logins per minute per address) plus operator rules whose filter
#   names the endpoint (`method:auth/login`). Contract: docs/policy-contract.md.
package hatago.login

import data.hatago.lib
import data.hatago.ratelimit

endpoints := {"auth/login", "auth/refresh", "auth/logout"}

method := input.request.method

# --- reasons ----------------------------------------------------------------

deny contains lib.contract_reason if {
	not input.contract == lib.contract
}

deny contains {"rule": "login.unknown_endpoint", "message": lib.msg(["no token endpoint ", object.get(object.get(input, "request", {}), "method", null)])} if {
	not endpoints[method]
}

# Refresh and logout act on a verified token: the runtime verifies it first.
deny contains {"rule": "login.principal_required", "message": lib.msg([method, " needs a verified token"])} if {
	endpoints[method]
	method != "auth/login"
	not is_object(input.principal)
}

# Custom rules (package hatago.custom) may refuse token endpoints too.
deny contains r if {
	some r in data.hatago.custom.deny
}

# --- rate limits ------------------------------------------------------------

default builtin_rules := []

builtin_rules := data.hatago.tokenEndpoints.rateLimits if is_array(data.hatago.tokenEndpoints.rateLimits)

# Operator rules count only while rate limiting is enabled; the built-in
# limits always do, unless an enabled operator rule of the same name replaces them.
default operator_rules := []

operator_rules := ratelimit.rules if not ratelimit.disabled

operator_names := {r.name | some r in operator_rules; is_string(r.name)}

rules := array.concat([r | some r in builtin_rules; not operator_names[r.name]], operator_rules)

# A rule counts token-endpoint calls only when its filter names the endpoint:
# rules without one are MCP budgets.
names_endpoint(r) if r.filter == concat("", ["method:", method])

names_endpoint(r) if {
	is_array(r.filter)
	some f in r.filter
	f == concat("", ["method:", method])
}

limits := [l |
	some r in rules
	ratelimit.valid(r)
	names_endpoint(r)
	ratelimit.applies(r)
	l := {"name": r.name, "key": ratelimit.key(r), "windowMs": r.windowMs, "max": ratelimit.max_for(r)}
]

# --- decision ---------------------------------------------------------------

decision := {"allow": true, "reasons": [], "rate_limits": limits} if {
	count(deny) == 0
} else := {"allow": false, "code": "ERR_PERMISSION_DENIED", "reasons": [r | some r in deny]}
