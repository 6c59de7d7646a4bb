package hatago.login_test

import data.hatago.login

auth(method, principal) := {
	"contract": 2,
	"stage": "auth",
	"now_ns": 0,
	"transport": "http",
	"client": {"ip": "10.0.0.1", "origin": null, "user_agent": null},
	"principal": principal,
	"request": {"method": method, "server": null, "name": null},
}

alice := {"sub": "alice", "roles": ["user"]}

builtin := {"rateLimits": [
	{"name": "login", "windowMs": 60000, "max": 10, "keyGenerator": "ip", "filter": "method:auth/login"},
	{"name": "token-refresh", "windowMs": 60000, "max": 30, "keyGenerator": "user", "filter": "method:auth/refresh"},
]}

# --- allow and limits -------------------------------------------------------

test_login_allowed_with_builtin_limit if {
	d := data.hatago.decision with input as auth("auth/login", null) with data.hatago.tokenEndpoints as builtin with data.config as {}
	d == {"allow": true, "reasons": [], "rate_limits": [{"name": "login", "key": "login:ip:10.0.0.1", "windowMs": 60000, "max": 10}]}
}

test_shipped_bundle_limits_login if {
	d := data.hatago.decision with input as auth("auth/login", null) with data.config as {}
	d.allow == true
	[l.name | some l in d.rate_limits] == ["login"]
}

test_refresh_limited_per_user if {
	d := data.hatago.decision with input as auth("auth/refresh", alice) with data.hatago.tokenEndpoints as builtin with data.config as {}
	d.rate_limits == [{"name": "token-refresh", "key": "token-refresh:user:alice", "windowMs": 60000, "max": 30}]
}

test_logout_allowed_without_limits if {
	d := data.hatago.decision with input as auth("auth/logout", alice) with data.hatago.tokenEndpoints as builtin with data.config as {}
	d == {"allow": true, "reasons": [], "rate_limits": []}
}

test_builtin_limit_kept_when_rate_limiting_disabled if {
	c := {"rateLimit": {"enabled": false, "rules": [{"name": "login", "windowMs": 1000, "max": 1000, "filter": "method:auth/login"}]}}
	ls := login.limits with input as auth("auth/login", null) with data.hatago.tokenEndpoints as builtin with data.config as c
	ls == [{"name": "login", "key": "login:ip:10.0.0.1", "windowMs": 60000, "max": 10}]
}

test_operator_rule_of_same_name_replaces_builtin if {
	c := {"rateLimit": {"rules": [{"name": "login", "windowMs": 1000, "max": 3, "keyGenerator": "ip", "filter": "method:auth/login"}]}}
	ls := login.limits with input as auth("auth/login", null) with data.hatago.tokenEndpoints as builtin with data.config as c
	ls == [{"name": "login", "key": "login:ip:10.0.0.1", "windowMs": 1000, "max": 3}]
}

test_operator_rules_need_a_filter_naming_the_endpoint if {
	c := {"rateLimit": {"rules": [
		{"name": "global", "windowMs": 60000, "max": 1000},
		{"name": "star", "windowMs": 60000, "max": 1000, "filter": "*"},
		{"name": "tools", "windowMs": 60000, "max": 5, "filter": "mcp:tools:call"},
		{"name": "logins-hourly", "windowMs": 3600000, "max": 50, "filter": ["mcp:tools", "method:auth/login"]},
		{"name": "bad", "windowMs": 0, "max": 5, "filter": "method:auth/login"},
	]}}
	ls := login.limits with input as auth("auth/login", null) with data.hatago.tokenEndpoints as builtin with data.config as c
	[l.name | some l in ls] == ["login", "logins-hourly"]
}

test_user_key_falls_back_to_ip_for_anonymous_login if {
	c := {"rateLimit": {"rules": [{"name": "u", "windowMs": 60000, "max": 5, "keyGenerator": "user", "filter": "method:auth/login"}]}}
	ls := login.limits with input as auth("auth/login", null) with data.hatago.tokenEndpoints as {} with data.config as c
	ls == [{"name": "u", "key": "u:ip:10.0.0.1", "windowMs": 60000, "max": 5}]
}

# --- denials ----------------------------------------------------------------

test_unknown_endpoint_denied if {
	d := data.hatago.decision with input as auth("auth/register", null) with data.config as {}
	d.allow == false
	d.code == "ERR_PERMISSION_DENIED"
	[r.rule | some r in d.reasons] == ["login.unknown_endpoint"]
}

test_refresh_without_principal_denied if {
	d := data.hatago.decision with input as auth("auth/refresh", null) with data.config as {}
	[r.rule | some r in d.reasons] == ["login.principal_required"]
}

test_contract_mismatch_denied if {
	d := data.hatago.decision with input as object.union(auth("auth/login", null), {"contract": 1}) with data.config as {}
	d.allow == false
	[r.rule | some r in d.reasons] == ["hatago.contract"]
}

test_custom_rule_can_deny_login if {
	d := data.hatago.decision with input as auth("auth/login", null) with data.config as {} with data.hatago.custom.deny as {{"rule": "custom.no_logins", "message": "closed"}}
	d.allow == false
	[r.rule | some r in d.reasons] == ["custom.no_logins"]
}
