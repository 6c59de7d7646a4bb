package hatago.sessions_test

import data.hatago.sessions

test_defaults if {
	sessions.limits == {"max_per_principal": 32, "max_total": 10000, "idle_timeout_ms": 1800000} with data.config as {}
}

test_operator_values if {
	l := sessions.limits with data.config as {"sessions": {"maxPerPrincipal": 2, "maxTotal": 5, "idleTimeoutMs": 1000}}
	l == {"max_per_principal": 2, "max_total": 5, "idle_timeout_ms": 1000}
}

test_bad_values_fall_back_to_defaults if {
	l := sessions.limits with data.config as {"sessions": {"maxPerPrincipal": 0, "maxTotal": "5", "idleTimeoutMs": 1.5}}
	l == {"max_per_principal": 32, "max_total": 10000, "idle_timeout_ms": 1800000}
}

initialize := {
	"contract": 2, "stage": "request", "transport": "http",
	"principal": {"sub": "u", "roles": ["admin"], "permissions": null, "scope": null},
	"request": {"method": "initialize"},
}

test_initialize_decision_carries_the_limits if {
	d := data.hatago.decision with input as initialize with data.config as {"sessions": {"maxPerPrincipal": 3}}
		with data.hatago.roles as {"admin": {"permissions": ["mcp:*:*"]}}
	d.allow == true
	d.session_limits.max_per_principal == 3
}

test_other_methods_carry_none if {
	d := data.hatago.decision with input as json.patch(initialize, [{"op": "replace", "path": "/request/method", "value": "ping"}])
		with data.config as {}
		with data.hatago.roles as {"admin": {"permissions": ["mcp:*:*"]}}
	d.allow == true
	not d.session_limits
}
