package hatago_test

config := {"authentication": {"enabled": true}, "authorization": {"enabled": true, "defaultRole": "readonly"}}

base := {
	"contract": 2,
	"stage": "request",
	"transport": "http",
	"now_ns": 0,
	"client": {"ip": "127.0.0.1", "socket_ip": "127.0.0.1", "forwarded_for": [], "origin": null},
	"principal": {"sub": "u-1", "roles": ["user"], "permissions": null, "scope": null, "claims": {}},
	"request": {"method": "tools/call", "server": "github", "name": "search", "exposed": "github_search", "arguments": {}},
}

decide(patch) := d if {
	d := data.hatago.decision with input as object.union(base, patch)
		with data.config as config
}

test_allowed_call_shape if decide({}) == {"allow": true, "reasons": [], "rate_limits": [], "flow_labels": []}

test_denied_call_shape if {
	d := decide({"principal": {"roles": ["readonly"]}})
	d.allow == false
	d.code == "ERR_PERMISSION_DENIED"
	count(d.reasons) == 1
	d.reasons[0].rule == "rbac.missing_permission"
	d.reasons[0].message == "no role of [\"readonly\"] grants server:github:tools:call:search"
	not d.visible
}

test_list_shape if {
	d := decide({"request": {"method": "tools/list"}, "candidates": []})
	d == {"allow": true, "reasons": [], "visible": [], "rate_limits": []}
}

test_unknown_stage if {
	d := decide({"stage": "audit"})
	d.allow == false
	d.code == "ERR_PERMISSION_DENIED"
	d.reasons[0].rule == "hatago.unknown_stage"
}

test_missing_stage if {
	d := data.hatago.decision with input as {}
	d.allow == false
}

test_contract_mismatch if {
	d := decide({"contract": 1})
	d.allow == false
	d.code == "ERR_PERMISSION_DENIED"
	{r.rule | some r in d.reasons} == {"hatago.contract"}
}

test_contract_missing if {
	d := data.hatago.decision with input as object.remove(base, ["contract"])
		with data.config as config
	d.allow == false
	d.reasons[0].message == "input.contract is null; this policy speaks contract 2"
}

test_contract_mismatch_beats_unauthenticated_code if {
	d := decide({"contract": 1, "principal": null})
	d.code == "ERR_PERMISSION_DENIED"
	{"hatago.contract", "authn.required"} - {r.rule | some r in d.reasons} == set()
}

test_denied_list_has_empty_visible if {
	d := decide({"contract": 1, "request": {"method": "tools/list"}, "candidates": [{"server": "github", "kind": "tool", "name": "search", "exposed": "github_search"}]})
	d.visible == []
}

test_default_reason_when_nothing_named if {
	hatago_default := data.hatago.default_reason(set())
	hatago_default == [{"rule": "hatago.default_deny", "message": "no rule allowed the request"}]
}

test_stdio_request_stage if {
	d := decide({"transport": "stdio", "client": {"ip": null, "socket_ip": null}})
	d.allow == true
}

test_bundle_declares_contract_2 if 2 in data.hatago.contract

test_bundle_roles_match_the_guide if {
	data.hatago.roles.admin.permissions == ["mcp:*:*", "admin:*:*", "server:*:*"]
	data.hatago.roles.user.permissions == ["mcp:tools:call", "mcp:resources:read", "mcp:prompts:generate"]
	data.hatago.roles.readonly.permissions == ["mcp:tools:list", "mcp:resources:list", "mcp:prompts:list"]
}

test_breaker_table_stage_answers_every_server if {
	d := data.hatago.decision with input as {"contract": 2, "stage": "breaker_table", "servers": [{"id": "a", "tags": []}, {"id": "b", "tags": ["external-services"]}]}
		with data.config as {"circuitBreaker": {"rules": {"external-services": {"failureThreshold": 3}}}}
	d.allow == true
	d.breakers.servers.a.rule.name == "default"
	d.breakers.servers.b.rule.name == "external-services"
	d.breakers.servers.b.rule.failureThreshold == 3
}

test_allowed_call_carries_its_rate_limits if {
	d := data.hatago.decision with input as base
		with data.config as object.union(config, {"rateLimit": {"rules": [{"name": "per-user", "windowMs": 60000, "max": 100, "keyGenerator": "user"}]}})
	d.allow == true
	d.rate_limits == [{"name": "per-user", "key": "per-user:user:u-1", "windowMs": 60000, "max": 100}]
}

# A denied request carries its denial budgets (the shipped defaults here), not the allowed-traffic rules.
test_denied_call_carries_its_denial_limits if {
	d := data.hatago.decision with input as object.union(base, {"principal": {"roles": ["readonly"]}})
		with data.config as object.union(config, {"rateLimit": {"rules": [{"name": "per-user", "windowMs": 60000, "max": 100, "keyGenerator": "user"}]}})
	d.allow == false
	d.rate_limits == [
		{"name": "denials-ip", "key": "denials-ip:ip:127.0.0.1", "windowMs": 60000, "max": 30},
		{"name": "denials-user", "key": "denials-user:user:u-1", "windowMs": 60000, "max": 30},
	]
}

test_denied_list_carries_its_denial_limits if {
	d := decide({"request": {"method": "tools/list"}, "candidates": [], "contract": 1})
	d.allow == false
	d.visible == []
	count(d.rate_limits) == 2
}

test_denial_limits_from_config_and_switched_off if {
	c := object.union(config, {"rateLimit": {"denialLimits": [{"name": "d", "windowMs": 1000, "max": 2}]}})
	d := data.hatago.decision with input as object.union(base, {"principal": {"roles": ["readonly"]}}) with data.config as c
	d.rate_limits == [{"name": "d", "key": "d:ip:127.0.0.1", "windowMs": 1000, "max": 2}]
	off := object.union(config, {"rateLimit": {"denialLimits": []}})
	e := data.hatago.decision with input as object.union(base, {"principal": {"roles": ["readonly"]}}) with data.config as off
	e.rate_limits == []
}
