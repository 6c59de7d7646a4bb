package hatago.ratelimit_test

import data.hatago.ratelimit

# --- fixtures ---------------------------------------------------------------

guide_rules := [
	{"name": "global", "windowMs": 60000, "max": 1000, "keyGenerator": "ip"},
	{"name": "per-user", "windowMs": 60000, "max": 100, "keyGenerator": "user"},
	{"name": "tool-calls", "windowMs": 60000, "max": 50, "keyGenerator": "user", "filter": "mcp:tools:call"},
]

cfg(rules) := {"rateLimit": {"enabled": true, "algorithm": "sliding-window", "rules": rules}}

req(method, server, name, principal) := {
	"contract": 2,
	"stage": "request",
	"now_ns": 0,
	"transport": "http",
	"client": {"ip": "10.0.0.1", "origin": null, "user_agent": null},
	"principal": principal,
	"request": {"method": method, "server": server, "name": name},
}

alice := {"sub": "alice", "roles": ["user"]}

call(principal) := req("tools/call", "filesystem", "read_file", principal)

names(ls) := [l.name | some l in ls]

keys(ls) := [l.key | some l in ls]

# --- the guide's three rules ------------------------------------------------

test_guide_rules_on_tool_call if {
	ls := ratelimit.limits with input as call(alice) with data.config as cfg(guide_rules)
	ls == [
		{"name": "global", "key": "global:ip:10.0.0.1", "windowMs": 60000, "max": 1000},
		{"name": "per-user", "key": "per-user:user:alice", "windowMs": 60000, "max": 100},
		{"name": "tool-calls", "key": "tool-calls:user:alice", "windowMs": 60000, "max": 50},
	]
}

test_filter_skips_other_methods if {
	ls := ratelimit.limits with input as req("tools/list", null, null, alice) with data.config as cfg(guide_rules)
	names(ls) == ["global", "per-user"]
}

test_session_methods_only_match_unfiltered_rules if {
	ls := ratelimit.limits with input as req("initialize", null, null, alice) with data.config as cfg(guide_rules)
	names(ls) == ["global", "per-user"]
}

# --- disabled, absent, other stages ------------------------------------------

test_disabled_means_no_limits if {
	c := {"rateLimit": {"enabled": false, "rules": guide_rules}}
	ratelimit.limits == [] with input as call(alice) with data.config as c
}

test_enabled_by_default if {
	c := {"rateLimit": {"rules": guide_rules}}
	count(ratelimit.limits) == 3 with input as call(alice) with data.config as c
}

test_no_config_no_limits if {
	ratelimit.limits == [] with input as call(alice) with data.config as {}
}

test_network_stage_no_limits if {
	i := object.union(call(alice), {"stage": "network"})
	ratelimit.limits == [] with input as i with data.config as cfg(guide_rules)
}

# --- keys -------------------------------------------------------------------

test_user_key_falls_back_to_ip_without_principal if {
	ls := ratelimit.limits with input as call(null) with data.config as cfg(guide_rules)
	keys(ls) == ["global:ip:10.0.0.1", "per-user:ip:10.0.0.1", "tool-calls:ip:10.0.0.1"]
}

test_user_key_falls_back_to_ip_with_empty_sub if {
	ls := ratelimit.limits with input as call({"sub": "", "roles": []}) with data.config as cfg(guide_rules)
	keys(ls)[1] == "per-user:ip:10.0.0.1"
}

test_user_plus_ip_key if {
	rules := [{"name": "pair", "windowMs": 1000, "max": 5, "keyGenerator": "user+ip"}]
	keys(ratelimit.limits) == ["pair:user+ip:10.0.0.1|alice"] with input as call(alice) with data.config as cfg(rules)
	keys(ratelimit.limits) == ["pair:ip:10.0.0.1"] with input as call(null) with data.config as cfg(rules)
}

test_ip_is_default_generator_and_unknown_on_stdio if {
	rules := [{"name": "g", "windowMs": 1000, "max": 5}]
	i := object.union(call(alice), {"transport": "stdio", "client": {"ip": null}})
	keys(ratelimit.limits) == ["g:ip:unknown"] with input as i with data.config as cfg(rules)
}

test_custom_key_from_runtime if {
	rules := [{"name": "c", "windowMs": 1000, "max": 5, "keyGenerator": "custom"}]
	i := object.union(call(alice), {"ratelimit": {"key": "alice:10.0.0.1"}})
	keys(ratelimit.limits) == ["c:custom:alice:10.0.0.1"] with input as i with data.config as cfg(rules)
	keys(ratelimit.limits) == ["c:ip:10.0.0.1"] with input as call(alice) with data.config as cfg(rules)
}

# --- tiers ------------------------------------------------------------------

tiered := [{
	"name": "per-user", "windowMs": 60000, "max": 10, "keyGenerator": "user",
	"tiers": {"readonly": 20, "user": 100, "admin": 1000},
}]

max_of(principal) := m if {
	m := ratelimit.limits[0].max with input as call(principal) with data.config as cfg(tiered)
}

test_tier_by_role if {
	max_of({"sub": "r", "roles": ["readonly"]}) == 20
	max_of({"sub": "u", "roles": ["user"]}) == 100
	max_of({"sub": "a", "roles": ["admin"]}) == 1000
}

test_tier_highest_role_wins if {
	max_of({"sub": "x", "roles": ["readonly", "admin", "user"]}) == 1000
	max_of({"sub": "x", "roles": ["user", "readonly"]}) == 100
}

test_tier_unknown_role_uses_rule_max if {
	max_of({"sub": "x", "roles": ["auditor"]}) == 10
	max_of({"sub": "x", "roles": []}) == 10
	max_of(null) == 10
}

test_tier_ignores_non_numbers if {
	rules := [{"name": "t", "windowMs": 1000, "max": 3, "tiers": {"user": "lots", "admin": -1}}]
	ratelimit.limits[0].max == 3 with input as call({"sub": "a", "roles": ["user", "admin"]}) with data.config as cfg(rules)
}

# --- filters and selectors --------------------------------------------------

applies(filter, input_doc) if {
	rules := [{"name": "f", "windowMs": 1000, "max": 1, "filter": filter}]
	count(ratelimit.limits) == 1 with input as input_doc with data.config as cfg(rules)
}

test_filter_grammar if {
	c := call(alice)
	applies("*", c)
	applies("mcp:tools:call", c)
	applies("mcp:tools", c)
	applies("mcp:*:call", c)
	applies("mcp", c)
	applies("method:tools/call", c)
	applies("server:filesystem", c)
	applies("server:filesystem:tools:call", c)
	applies("server:*:tools:call:read_*", c)
	applies("server:filesystem:tools:call:read_file", c)
	applies(["mcp:prompts:generate", "mcp:tools:call"], c)
	not applies("mcp:tools:list", c)
	not applies("mcp:resources", c)
	not applies("method:tools/list", c)
	not applies("server:github", c)
	not applies("server:filesystem:tools:call:write_*", c)
	not applies("tools/call", c)
	not applies(["mcp:prompts:generate"], c)
}

test_filter_action_map if {
	applies("mcp:resources:read", req("resources/subscribe", "fs", "file:///a", alice))
	applies("mcp:resources:list", req("resources/templates/list", null, null, alice))
	applies("mcp:prompts:generate", req("prompts/get", "fs", "p", alice))
	applies("mcp:prompts:list", req("prompts/list", null, null, alice))
	i := object.union(req("completion/complete", "fs", "p", alice), {"request": {"kind": "prompt"}})
	applies("mcp:prompts:generate", i)
	not applies("mcp:tools", req("ping", null, null, alice))
	applies("method:ping", req("ping", null, null, alice))
}

test_item_with_colons if {
	applies("server:fs:resources:read:file:///data/*", req("resources/read", "fs", "file:///data/x", alice))
	not applies("server:fs:resources:read:file:///etc/*", req("resources/read", "fs", "file:///data/x", alice))
}

test_servers_and_tools_selectors if {
	rules := [
		{"name": "gh", "windowMs": 1000, "max": 1, "servers": ["github"]},
		{"name": "fs", "windowMs": 1000, "max": 1, "servers": ["filesystem"]},
		{"name": "reads", "windowMs": 1000, "max": 1, "tools": ["read_*"]},
		{"name": "writes", "windowMs": 1000, "max": 1, "tools": ["write_file"]},
	]
	names(ratelimit.limits) == ["fs", "reads"] with input as call(alice) with data.config as cfg(rules)
	names(ratelimit.limits) == ["fs"] with input as req("prompts/get", "filesystem", "read_x", alice) with data.config as cfg(rules)
}

test_runtime_filter if {
	rules := [{"name": "expensive", "windowMs": 1000, "max": 1, "runtimeFilter": true}]
	names(ratelimit.limits) == [] with input as call(alice) with data.config as cfg(rules)
	i := object.union(call(alice), {"ratelimit": {"matched": ["expensive"]}})
	names(ratelimit.limits) == ["expensive"] with input as i with data.config as cfg(rules)
}

# --- malformed rules --------------------------------------------------------

test_invalid_rules_never_apply_and_are_named if {
	rules := [
		{"name": "ok", "windowMs": 1000, "max": 0},
		{"name": "nowindow", "max": 1},
		{"name": "neg", "windowMs": 1000, "max": -1},
		{"name": "gen", "windowMs": 1000, "max": 1, "keyGenerator": "cookie"},
		{"windowMs": 1000, "max": 1},
	]
	names(ratelimit.limits) == ["ok"] with input as call(alice) with data.config as cfg(rules)
	ratelimit.invalid == {"nowindow", "neg", "gen", "rules[4]"} with data.config as cfg(rules)
}

# --- the action is RBAC's (one method map) -----------------------------------

test_action_of_every_rbac_method if {
	methods := data.hatago.rbac.methods
	count({m | some m, s in methods; s.type == "item"}) > 0
	every m, s in methods {
		expected_action(m, s)
	}
}

expected_action(m, s) if {
	s.type == "item"
	ratelimit.action == [s.category, s.action] with input as req(m, "fs", "x", alice)
}

expected_action(m, s) if {
	s.type == "list"
	ratelimit.action == [s.category, "list"] with input as req(m, null, null, alice)
}

expected_action(m, s) if {
	s.type in {"session", "completion", "server", "admin"}
	not ratelimit.action with input as req(m, null, null, alice)
}

# --- denial budgets -------------------------------------------------------------

test_denial_limits_default_per_ip_and_user if {
	ls := ratelimit.denial_limits with input as call(alice) with data.config as {}
	ls == [
		{"name": "denials-ip", "key": "denials-ip:ip:10.0.0.1", "windowMs": 60000, "max": 30},
		{"name": "denials-user", "key": "denials-user:user:alice", "windowMs": 60000, "max": 30},
	]

	# anonymous: the user budget falls back to the address, as for rules
	keys(ratelimit.denial_limits) == ["denials-ip:ip:10.0.0.1", "denials-user:ip:10.0.0.1"] with input as call(null) with data.config as {}
}

test_denial_limits_follow_the_rule_grammar if {
	c := {"rateLimit": {"denialLimits": [
		{"name": "tool-denials", "windowMs": 1000, "max": 5, "keyGenerator": "user", "filter": "mcp:tools:call", "tiers": {"user": 9}},
		{"name": "broken", "windowMs": 0, "max": 1},
	]}}
	ratelimit.denial_limits == [{"name": "tool-denials", "key": "tool-denials:user:alice", "windowMs": 1000, "max": 9}] with input as call(alice) with data.config as c
	ratelimit.denial_limits == [] with input as req("tools/list", null, null, alice) with data.config as c
	ratelimit.invalid == {"denialLimits.broken"} with data.config as c
}

test_denial_limits_off_when_rate_limiting_is if {
	ratelimit.denial_limits == [] with input as call(alice) with data.config as {"rateLimit": {"enabled": false}}
	ratelimit.denial_limits == [] with input as object.union(call(alice), {"stage": "network"}) with data.config as {}
}
