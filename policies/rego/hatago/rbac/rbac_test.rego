package hatago.rbac_test

import data.hatago.rbac

# --- fixtures ---------------------------------------------------------------

config := {
	"authentication": {"enabled": true},
	"authorization": {"enabled": true, "defaultRole": "readonly"},
}

who(roles) := {"sub": "u-1", "roles": roles, "permissions": null, "scope": null, "claims": {}}

candidates := [
	{"server": "filesystem", "kind": "tool", "name": "read_file", "exposed": "filesystem_read_file"},
	{"server": "filesystem", "kind": "tool", "name": "write_file", "exposed": "filesystem_write_file"},
	{"server": "github", "kind": "tool", "name": "search_issues", "exposed": "github_search_issues"},
	{"server": "github", "kind": "tool", "name": "create_issue", "exposed": "github_create_issue"},
	{"server": "filesystem", "kind": "resource", "name": "file:///data/a.txt", "exposed": "file:///data/a.txt"},
	{"server": "github", "kind": "resource", "name": "repo://x", "exposed": "repo://x"},
	{"server": "filesystem", "kind": "resourceTemplate", "name": "file:///{path}", "exposed": "file:///{path}"},
	{"server": "github", "kind": "prompt", "name": "triage", "exposed": "github_triage"},
]

all_tools := {"filesystem_read_file", "filesystem_write_file", "github_search_issues", "github_create_issue"}

req_input(principal, method, server, name, extra) := object.union(
	{
		"contract": 2,
		"stage": "request",
		"transport": "http",
		"now_ns": 0,
		"client": {"ip": "127.0.0.1", "socket_ip": "127.0.0.1", "forwarded_for": [], "origin": null},
		"principal": principal,
		"request": {"method": method, "server": server, "name": name, "exposed": null, "arguments": null},
	},
	extra,
)

decide_cfg(cfg, principal, method, server, name) := d if {
	d := data.hatago.decision with input as req_input(principal, method, server, name, {"candidates": candidates})
		with data.config as cfg
}

decide(principal, method, server, name) := decide_cfg(config, principal, method, server, name)

can(principal, method, server, name) if decide(principal, method, server, name).allow == true

visible(principal, method) := {x | some x in decide(principal, method, null, null).visible}

visible_cfg(cfg, principal, method) := {x | some x in decide_cfg(cfg, principal, method, null, null).visible}

rules_of(d) := {r.rule | some r in d.reasons}

# --- permission grammar -----------------------------------------------------

test_parse_mcp_forms if {
	rbac.parse("mcp:tools:call") == {"server": "*", "category": "tools", "action": "call", "item": "*", "star": []}
	rbac.parse("mcp:tools") == {"server": "*", "category": "tools", "action": "*", "item": "*", "star": []}
	rbac.parse("mcp") == {"server": "*", "category": "*", "action": "*", "item": "*", "star": []}
	rbac.parse("mcp:*:*") == rbac.parse("mcp")
}

test_parse_server_forms if {
	rbac.parse("server:filesystem:*") == {"server": "filesystem", "category": "*", "action": "*", "item": "*", "star": []}
	rbac.parse("server:filesystem") == rbac.parse("server:filesystem:*:*:*")
	rbac.parse("server:*:tools:call") == rbac.parse("mcp:tools:call")
	rbac.parse("server:github:tools:call:search_*") == {"server": "github", "category": "tools", "action": "call", "item": "search_*", "star": ["search_", ""]}
	rbac.parse("server:fs:resources:read:file:///data/*").item == "file:///data/*"
}

test_parse_rejects if {
	not rbac.parse("admin:*:*")
	not rbac.parse("admin:servers:manage")
	not rbac.parse("mcp:tools:call:read_file")
	not rbac.parse("server::tools")
	not rbac.parse("mcp:tools:")
	not rbac.parse("server:fs:tools:call:")
	not rbac.parse("server:fs:tools:call:a*b*c")
	not rbac.parse("tools:call")
	not rbac.parse(42)
}

test_pattern_match if {
	rbac.pattern_match("*", "anything")
	rbac.pattern_match("read_file", "read_file")
	rbac.pattern_match("read_*", "read_file")
	rbac.pattern_match("*_file", "read_file")
	rbac.pattern_match("re*le", "read_file")
	not rbac.pattern_match("read_*", "write_file")
	not rbac.pattern_match("ab*ba", "aba")
	not rbac.pattern_match("read_*", null)
}

# --- guide roles ------------------------------------------------------------

test_admin_does_everything if {
	a := who(["admin"])
	can(a, "tools/call", "github", "create_issue")
	can(a, "resources/read", "filesystem", "file:///etc/passwd")
	can(a, "prompts/get", "github", "triage")
	can(a, "resources/subscribe", "filesystem", "file:///data/a.txt")
	visible(a, "tools/list") == all_tools
	visible(a, "resources/list") == {"file:///data/a.txt", "repo://x"}
	visible(a, "resources/templates/list") == {"file:///{path}"}
	visible(a, "prompts/list") == {"github_triage"}
}

test_user_lists_and_uses if {
	u := who(["user"])
	can(u, "tools/call", "filesystem", "write_file")
	can(u, "resources/read", "github", "repo://x")
	can(u, "prompts/get", "github", "triage")
	visible(u, "tools/list") == all_tools
	visible(u, "resources/list") == {"file:///data/a.txt", "repo://x"}
	visible(u, "resources/templates/list") == {"file:///{path}"}
	visible(u, "prompts/list") == {"github_triage"}
}

test_readonly_only_lists if {
	r := who(["readonly"])
	visible(r, "tools/list") == all_tools
	visible(r, "prompts/list") == {"github_triage"}
	not can(r, "tools/call", "filesystem", "read_file")
	not can(r, "resources/read", "github", "repo://x")
	not can(r, "prompts/get", "github", "triage")
	d := decide(r, "tools/call", "filesystem", "read_file")
	d.code == "ERR_PERMISSION_DENIED"
	rules_of(d) == {"rbac.missing_permission"}
}

test_list_item_kinds_filtered if {
	# candidates of other kinds never leak into a list
	visible(who(["admin"]), "prompts/list") == {"github_triage"}
}

# --- default role -----------------------------------------------------------

test_unknown_role_gets_default if {
	p := who(["mcp-client"])
	rbac.effective_roles == {"readonly"} with input as req_input(p, "tools/list", null, null, {})
		with data.config as config
	visible(p, "tools/list") == all_tools
	not can(p, "tools/call", "filesystem", "read_file")
}

test_known_role_ignores_unknown_ones if {
	rbac.effective_roles == {"user"} with input as req_input(who(["user", "mcp-client"]), "ping", null, null, {})
		with data.config as config
}

test_no_roles_claim_gets_default if {
	p := {"sub": "x", "claims": {}}
	visible(p, "tools/list") == all_tools
}

test_no_default_role_means_nothing if {
	cfg := {"authentication": {"enabled": true}, "authorization": {"enabled": true}}
	visible_cfg(cfg, who(["mcp-client"]), "tools/list") == set()
	not decide_cfg(cfg, who(["mcp-client"]), "tools/call", "filesystem", "read_file").allow
}

test_unknown_default_role_means_nothing if {
	cfg := {"authentication": {"enabled": true}, "authorization": {"defaultRole": "ghost"}}
	visible_cfg(cfg, who([]), "tools/list") == set()
}

test_anonymous_with_authentication_disabled_gets_default if {
	cfg := {"authentication": {"enabled": false}, "authorization": {"enabled": true, "defaultRole": "user"}}
	decide_cfg(cfg, null, "tools/call", "github", "search_issues").allow == true
	visible_cfg(cfg, null, "tools/list") == all_tools
}

test_anonymous_with_authentication_enabled_is_unauthenticated if {
	d := decide(null, "tools/list", null, null)
	d.allow == false
	d.code == "ERR_UNAUTHENTICATED"
	rules_of(d) == {"authn.required"}
	d.visible == []
}

test_anonymous_without_authentication_config_is_unauthenticated if {
	d := decide_cfg({}, null, "ping", null, null)
	d.code == "ERR_UNAUTHENTICATED"
}

# --- operator roles ---------------------------------------------------------

test_config_role_replaces_bundle_role if {
	cfg := {"authentication": {"enabled": true}, "authorization": {"roles": {"user": {"permissions": ["server:github:tools:call"]}}}}
	decide_cfg(cfg, who(["user"]), "tools/call", "github", "create_issue").allow == true
	not decide_cfg(cfg, who(["user"]), "tools/call", "filesystem", "read_file").allow
	not decide_cfg(cfg, who(["user"]), "resources/read", "github", "repo://x").allow
	visible_cfg(cfg, who(["user"]), "tools/list") == {"github_search_issues", "github_create_issue"}
}

test_config_role_added if {
	cfg := {"authentication": {"enabled": true}, "authorization": {"roles": {"ops": {"permissions": ["mcp:prompts"]}}}}
	decide_cfg(cfg, who(["ops"]), "prompts/get", "github", "triage").allow == true
	decide_cfg(cfg, who(["admin"]), "tools/call", "github", "create_issue").allow == true
}

test_role_without_permissions_grants_nothing if {
	cfg := {"authentication": {"enabled": true}, "authorization": {"roles": {"odd": {"permissions": "mcp:*:*"}}}}
	not decide_cfg(cfg, who(["odd"]), "tools/call", "github", "create_issue").allow
}

test_admin_permissions_grant_no_mcp_access if {
	cfg := {"authentication": {"enabled": true}, "authorization": {"roles": {"ops": {"permissions": ["admin:*:*"]}}}}
	not decide_cfg(cfg, who(["ops"]), "tools/call", "github", "create_issue").allow
	visible_cfg(cfg, who(["ops"]), "tools/list") == set()
}

# --- server scope and per-item grants ---------------------------------------

roles_cfg(roles) := {"authentication": {"enabled": true}, "authorization": {"roles": roles}}

test_server_scope if {
	cfg := roles_cfg({"fs": {"permissions": ["server:filesystem:*"]}})
	p := who(["fs"])
	decide_cfg(cfg, p, "tools/call", "filesystem", "write_file").allow == true
	decide_cfg(cfg, p, "resources/read", "filesystem", "file:///etc/hosts").allow == true
	not decide_cfg(cfg, p, "tools/call", "github", "search_issues").allow
	not decide_cfg(cfg, p, "resources/read", "github", "repo://x").allow
	visible_cfg(cfg, p, "tools/list") == {"filesystem_read_file", "filesystem_write_file"}
	visible_cfg(cfg, p, "resources/list") == {"file:///data/a.txt"}
}

test_per_tool_grant if {
	cfg := roles_cfg({"triager": {"permissions": ["server:github:tools:call:search_*", "server:filesystem:tools:call:read_file"]}})
	p := who(["triager"])
	decide_cfg(cfg, p, "tools/call", "github", "search_issues").allow == true
	decide_cfg(cfg, p, "tools/call", "filesystem", "read_file").allow == true
	not decide_cfg(cfg, p, "tools/call", "github", "create_issue").allow
	not decide_cfg(cfg, p, "tools/call", "filesystem", "write_file").allow
	visible_cfg(cfg, p, "tools/list") == {"github_search_issues", "filesystem_read_file"}
}

test_item_grant_on_any_server if {
	cfg := roles_cfg({"r": {"permissions": ["server:*:tools:call:read_file"]}})
	decide_cfg(cfg, who(["r"]), "tools/call", "filesystem", "read_file").allow == true
	visible_cfg(cfg, who(["r"]), "tools/list") == {"filesystem_read_file"}
}

test_resource_uri_grant if {
	cfg := roles_cfg({"r": {"permissions": ["server:filesystem:resources:read:file:///data/*"]}})
	p := who(["r"])
	decide_cfg(cfg, p, "resources/read", "filesystem", "file:///data/a.txt").allow == true
	not decide_cfg(cfg, p, "resources/read", "filesystem", "file:///etc/passwd").allow
	not decide_cfg(cfg, p, "resources/read", "github", "file:///data/a.txt").allow
	visible_cfg(cfg, p, "resources/list") == {"file:///data/a.txt"}
}

test_list_only_grant_does_not_allow_use if {
	cfg := roles_cfg({"r": {"permissions": ["server:github:tools:list"]}})
	visible_cfg(cfg, who(["r"]), "tools/list") == {"github_search_issues", "github_create_issue"}
	not decide_cfg(cfg, who(["r"]), "tools/call", "github", "search_issues").allow
}

test_use_of_other_category_does_not_show if {
	cfg := roles_cfg({"r": {"permissions": ["mcp:prompts:generate"]}})
	visible_cfg(cfg, who(["r"]), "tools/list") == set()
	visible_cfg(cfg, who(["r"]), "prompts/list") == {"github_triage"}
}

test_unknown_target_only_matches_wildcards if {
	# a request whose target the hub could not resolve matches only "*" servers
	can(who(["user"]), "tools/call", null, null)
	cfg := roles_cfg({"r": {"permissions": ["server:github:tools:call"]}})
	not decide_cfg(cfg, who(["r"]), "tools/call", null, null).allow
}

# --- token claims narrow ----------------------------------------------------

claims(roles, perms, scope) := {"sub": "u-1", "roles": roles, "permissions": perms, "scope": scope, "claims": {}}

test_permissions_claim_narrows if {
	p := claims(["user"], ["mcp:tools", "mcp:prompts"], null)
	can(p, "tools/call", "github", "search_issues")
	not can(p, "resources/read", "github", "repo://x")
	rules_of(decide(p, "resources/read", "github", "repo://x")) == {"rbac.token_permissions"}
}

test_permissions_claim_never_exceeds_roles if {
	p := claims(["readonly"], ["mcp:*:*"], null)
	not can(p, "tools/call", "github", "search_issues")
	rules_of(decide(p, "tools/call", "github", "search_issues")) == {"rbac.missing_permission"}
}

test_empty_permissions_claim_grants_nothing if {
	p := claims(["admin"], [], null)
	not can(p, "tools/call", "github", "search_issues")
	visible(p, "tools/list") == set()
}

test_string_permissions_claim_split_on_spaces if {
	p := claims(["user"], "mcp:tools mcp:prompts", null)
	can(p, "tools/call", "github", "search_issues")
	not can(p, "resources/read", "github", "repo://x")
}

test_scope_claim_narrows if {
	p := claims(["user"], null, ["mcp:resources"])
	can(p, "resources/read", "github", "repo://x")
	not can(p, "tools/call", "github", "search_issues")
	rules_of(decide(p, "tools/call", "github", "search_issues")) == {"rbac.token_scope"}
}

test_scope_non_hatago_entries_ignored if {
	can(claims(["user"], null, ["openid", "profile", "mcp"]), "tools/call", "github", "search_issues")
	not can(claims(["user"], null, ["openid", "profile"]), "tools/call", "github", "search_issues")
}

test_both_claims_must_match if {
	p := claims(["admin"], ["server:github"], ["mcp:tools"])
	can(p, "tools/call", "github", "search_issues")
	not can(p, "tools/call", "filesystem", "read_file")
	not can(p, "resources/read", "github", "repo://x")
	rules_of(decide(p, "resources/read", "filesystem", "file:///x")) == {"rbac.token_permissions", "rbac.token_scope"}
}

test_claims_narrow_lists if {
	visible(claims(["user"], ["server:github"], null), "tools/list") == {"github_search_issues", "github_create_issue"}
	visible(claims(["admin"], null, ["server:filesystem:tools:call:read_*"]), "tools/list") == {"filesystem_read_file"}
	visible(claims(["user"], ["mcp:resources"], null), "tools/list") == set()
	visible(claims(["user"], ["server:github:tools:call:search_*"], ["server:github:tools:call:create_*"]), "tools/list") == set()
}

test_item_role_narrowed_by_server_claim if {
	cfg := roles_cfg({"r": {"permissions": ["server:*:tools:call:read_file", "server:github:tools:list"]}})
	p := claims(["r"], ["server:filesystem"], null)
	visible_cfg(cfg, p, "tools/list") == {"filesystem_read_file"}
}

# --- methods ----------------------------------------------------------------

test_session_methods_for_any_authenticated_caller if {
	p := who(["nobody-knows-me"])
	cfg := {"authentication": {"enabled": true}, "authorization": {"enabled": true}}
	every m in ["initialize", "ping", "server/discover", "logging/setLevel", "resources/unsubscribe"] {
		decide_cfg(cfg, p, m, null, null).allow == true
	}
}

test_unknown_method_denied if {
	d := decide(who(["admin"]), "tasks/list", null, null)
	d.allow == false
	rules_of(d) == {"rbac.unknown_method"}
}

test_subscribe_needs_read if {
	can(who(["user"]), "resources/subscribe", "github", "repo://x")
	not can(who(["readonly"]), "resources/subscribe", "github", "repo://x")
}

completion(principal, kind, server, name) := d if {
	d := data.hatago.decision with input as req_input(principal, "completion/complete", server, name, {"request": {"kind": kind}})
		with data.config as config
}

test_completion_follows_its_target if {
	completion(who(["user"]), "prompt", "github", "triage").allow == true
	completion(who(["user"]), "resourceTemplate", "filesystem", "file:///{path}").allow == true
	not completion(who(["readonly"]), "prompt", "github", "triage").allow
	cfg := roles_cfg({"p": {"permissions": ["mcp:prompts"]}})
	d := data.hatago.decision with input as req_input(who(["p"]), "completion/complete", "filesystem", "file:///{path}", {"request": {"kind": "resourceTemplate"}})
		with data.config as cfg
	d.allow == false
}

test_completion_without_kind_denied if {
	d := completion(who(["admin"]), null, "github", "triage")
	rules_of(d) == {"rbac.unknown_method"}
}

# --- authorization disabled -------------------------------------------------

test_authorization_disabled_allows_everything if {
	cfg := {"authentication": {"enabled": true}, "authorization": {"enabled": false}}
	decide_cfg(cfg, who([]), "tools/call", "github", "create_issue").allow == true
	decide_cfg(cfg, claims(["readonly"], [], []), "tools/call", "github", "create_issue").allow == true
	decide_cfg(cfg, who([]), "tasks/list", null, null).allow == true
	visible_cfg(cfg, who([]), "tools/list") == all_tools
}

test_authorization_disabled_still_needs_authentication if {
	cfg := {"authentication": {"enabled": true}, "authorization": {"enabled": false}}
	decide_cfg(cfg, null, "tools/call", "github", "create_issue").code == "ERR_UNAUTHENTICATED"
}

# Grants compiled once (stage "compile") decide exactly as grants parsed per request.
compile_cfg := {"authentication": {"enabled": true}, "authorization": {"enabled": true, "defaultRole": "readonly", "roles": {"fs": {"permissions": ["server:filesystem:*"]}}}}

compiled_grants := g if {
	g := data.hatago.decision.compiled with input as {"contract": 2, "stage": "compile"}
		with data.config as compile_cfg
}

test_compile_stage_parses_every_known_role if {
	compiled_grants.role_grants.fs == [{"server": "filesystem", "category": "*", "action": "*", "item": "*", "star": []}]

	# admin:*:* is no MCP permission: mcp:*:* and server:*:* remain.
	count(compiled_grants.role_grants.admin) == 2
	compiled_grants.role_grants.readonly != []
}

test_compiled_role_grants_decide_like_parsed_ones if {
	every req in [
		{"method": "tools/call", "server": "filesystem", "name": "read_file"},
		{"method": "tools/call", "server": "github", "name": "search"},
		{"method": "resources/read", "server": "filesystem", "name": "file:///x"},
	] {
		every roles in [["fs"], ["user"], ["readonly"], ["nobody"], ["admin"]] {
			plain := data.hatago.decision with input as compile_input(req, roles) with data.config as compile_cfg
			fast := data.hatago.decision with input as compile_input(req, roles) with data.config as compile_cfg
				with data.compiled as compiled_grants
			plain == fast
		}
	}
}

compile_input(req, roles) := {"contract": 2, "stage": "request", "transport": "http", "principal": {"sub": "u", "roles": roles, "claims": {}}, "request": req}

# --- admin requests (GET /health/details) -------------------------------------

test_admin_status_needs_an_admin_permission if {
	can(who(["admin"]), "admin/status", null, null)
	not can(who(["user"]), "admin/status", null, null)
	not can(who(["readonly"]), "admin/status", null, null)
	d := decide(who(["user"]), "admin/status", null, null)
	d.code == "ERR_PERMISSION_DENIED"
	rules_of(d) == {"rbac.missing_permission"}
}

test_admin_status_permission_forms if {
	roles := {"ops": {"permissions": ["admin:status:read"]}, "wide": {"permissions": ["admin"]}, "writer": {"permissions": ["admin:status:write"]}, "other": {"permissions": ["admin:servers:*", "mcp:*:*", "server:*:*"]}}
	cfg := {"authentication": {"enabled": true}, "authorization": {"enabled": true, "roles": roles}}
	decide_cfg(cfg, who(["ops"]), "admin/status", null, null).allow == true
	decide_cfg(cfg, who(["wide"]), "admin/status", null, null).allow == true
	decide_cfg(cfg, who(["writer"]), "admin/status", null, null).allow == false
	decide_cfg(cfg, who(["other"]), "admin/status", null, null).allow == false
	not rbac.parse_admin("admin::read")
	not rbac.parse_admin("admin:a:b:c")
	not rbac.parse_admin("mcp:*:*")
}

test_admin_status_narrowed_by_token_claims if {
	narrowed := object.union(who(["admin"]), {"permissions": ["mcp:tools:list"]})
	d := decide(narrowed, "admin/status", null, null)
	d.allow == false
	rules_of(d) == {"rbac.token_permissions"}
	kept := object.union(who(["admin"]), {"permissions": ["admin:status:read"], "scope": "admin:status"})
	can(kept, "admin/status", null, null)
	scoped := object.union(who(["admin"]), {"scope": ["mcp:tools"]})
	rules_of(decide(scoped, "admin/status", null, null)) == {"rbac.token_scope"}
}

test_admin_status_with_authorization_disabled if {
	cfg := {"authentication": {"enabled": true}, "authorization": {"enabled": false}}
	decide_cfg(cfg, who([]), "admin/status", null, null).allow == true
}

test_admin_status_anonymous_needs_authentication_disabled if {
	d := decide(null, "admin/status", null, null)
	d.code == "ERR_UNAUTHENTICATED"
}

test_admin_metrics_needs_admin_metrics_read if {
	can(who(["admin"]), "admin/metrics", null, null)
	not can(who(["user"]), "admin/metrics", null, null)
	d := decide(who(["readonly"]), "admin/metrics", null, null)
	d.code == "ERR_PERMISSION_DENIED"
	rules_of(d) == {"rbac.missing_permission"}
	d.reasons[0].message == "no role of [\"readonly\"] grants admin:metrics:read"
	roles := {"scraper": {"permissions": ["admin:metrics:read"]}, "status": {"permissions": ["admin:status:read"]}}
	cfg := {"authentication": {"enabled": true}, "authorization": {"enabled": true, "roles": roles}}
	decide_cfg(cfg, who(["scraper"]), "admin/metrics", null, null).allow == true
	decide_cfg(cfg, who(["scraper"]), "admin/status", null, null).allow == false
	decide_cfg(cfg, who(["status"]), "admin/metrics", null, null).allow == false
	scoped := object.union(who(["admin"]), {"scope": ["admin:status"]})
	rules_of(decide(scoped, "admin/metrics", null, null)) == {"rbac.token_scope"}
}

test_admin_console_read_and_write_are_separate_permissions if {
	can(who(["admin"]), "admin/console", null, null)
	can(who(["admin"]), "admin/console/write", null, null)
	d := decide(who(["user"]), "admin/console", null, null)
	d.code == "ERR_PERMISSION_DENIED"
	d.reasons[0].message == "no role of [\"user\"] grants admin:console:read"
	roles := {"viewer": {"permissions": ["admin:console:read"]}, "operator": {"permissions": ["admin:console:*"]}, "status": {"permissions": ["admin:status:read"]}}
	cfg := {"authentication": {"enabled": true}, "authorization": {"enabled": true, "roles": roles}}
	decide_cfg(cfg, who(["viewer"]), "admin/console", null, null).allow == true
	w := decide_cfg(cfg, who(["viewer"]), "admin/console/write", null, null)
	w.allow == false
	w.reasons[0].message == "no role of [\"viewer\"] grants admin:console:write"
	decide_cfg(cfg, who(["operator"]), "admin/console/write", null, null).allow == true
	decide_cfg(cfg, who(["status"]), "admin/console", null, null).allow == false
	scoped := object.union(who(["admin"]), {"scope": ["admin:console:read"]})
	can(scoped, "admin/console", null, null)
	rules_of(decide(scoped, "admin/console/write", null, null)) == {"rbac.token_scope"}
	decide(null, "admin/console", null, null).code == "ERR_UNAUTHENTICATED"
}

# --- server/observe ------------------------------------------------------------

observe_input(roles, server) := {
	"contract": 2, "stage": "request",
	"principal": {"sub": "u", "roles": roles, "permissions": null, "scope": null},
	"request": {"method": "server/observe", "server": server},
}

observe_roles := {"authorization": {"roles": {
	"admin": {"permissions": ["mcp:*:*"]},
	"fs": {"permissions": ["server:filesystem:*"]},
	"fsread": {"permissions": ["server:filesystem:tools:call:read_*"]},
	"readonly": {"permissions": ["mcp:tools:list"]},
	"none": {"permissions": ["admin:servers:manage"]},
}}}

test_observe_any_grant_on_the_server if {
	rbac.allow with input as observe_input(["fs"], "filesystem") with data.config as observe_roles
	rbac.allow with input as observe_input(["fsread"], "filesystem") with data.config as observe_roles
	rbac.allow with input as observe_input(["admin"], "other") with data.config as observe_roles
	rbac.allow with input as observe_input(["readonly"], "other") with data.config as observe_roles
}

test_observe_denied_for_other_servers if {
	not rbac.allow with input as observe_input(["fs"], "other") with data.config as observe_roles
	not rbac.allow with input as observe_input(["none"], "filesystem") with data.config as observe_roles
	d := rbac.deny with input as observe_input(["fs"], "other") with data.config as observe_roles
	some r in d
	r.rule == "rbac.server_not_visible"
}

test_observe_narrowed_by_token_permissions if {
	inp := json.patch(observe_input(["admin"], "other"), [{"op": "replace", "path": "/principal/permissions", "value": ["server:filesystem:*"]}])
	not rbac.allow with input as inp with data.config as observe_roles
	inp2 := json.patch(observe_input(["admin"], "filesystem"), [{"op": "replace", "path": "/principal/permissions", "value": ["server:filesystem:*"]}])
	rbac.allow with input as inp2 with data.config as observe_roles
}

# --- holding a permission (stage "permission") ------------------------------

guide_roles := {
	"admin": {"permissions": ["mcp:*:*", "admin:*:*", "server:*:*"]},
	"user": {"permissions": ["mcp:tools:call", "mcp:resources:read", "mcp:prompts:generate"]},
	"readonly": {"permissions": ["mcp:tools:list", "mcp:resources:list", "mcp:prompts:list"]},
	"fsadmin": {"permissions": ["server:filesystem:*"]},
	"reader": {"permissions": ["server:filesystem:tools:call:read_*"]},
	"servers": {"permissions": ["admin:servers"]},
}

perm_cfg := {
	"authentication": {"enabled": true},
	"authorization": {"enabled": true, "defaultRole": "readonly", "roles": guide_roles},
}

perm_input(principal, permission) := {
	"contract": 2,
	"stage": "permission",
	"transport": "stdio",
	"now_ns": 0,
	"client": {"ip": null, "origin": null, "user_agent": null},
	"principal": principal,
	"permission": permission,
}

holds_cfg(cfg, principal, permission) := d if {
	d := data.hatago.decision with input as perm_input(principal, permission)
		with data.config as cfg
}

holds(principal, permission) := holds_cfg(perm_cfg, principal, permission)

test_permission_admin_holds_every_form if {
	every p in ["mcp:tools:*", "mcp:resources:read", "server:filesystem:*", "admin:servers:manage", "admin", "server:filesystem:tools:call"] {
		holds(who(["admin"]), p) == {"allow": true, "reasons": []}
	}
}

test_permission_wildcards_need_a_covering_grant if {
	# user holds tools:call, not every tool operation
	d := holds(who(["user"]), "mcp:tools:*")
	d.allow == false
	d.code == "ERR_PERMISSION_DENIED"
	rules_of(d) == {"rbac.missing_permission"}
	holds(who(["user"]), "mcp:resources:read").allow == true
	holds(who(["user"]), "server:filesystem:*").allow == false
	holds(who(["fsadmin"]), "server:filesystem:*").allow == true
	holds(who(["fsadmin"]), "server:filesystem:tools:*").allow == true
	holds(who(["fsadmin"]), "server:github:*").allow == false
	holds(who(["fsadmin"]), "mcp:tools:*").allow == false
}

test_permission_item_patterns if {
	holds(who(["reader"]), "server:filesystem:tools:call:read_file").allow == true
	holds(who(["reader"]), "server:filesystem:tools:call:read_*").allow == true
	holds(who(["reader"]), "server:filesystem:tools:call:*").allow == false
	holds(who(["reader"]), "server:filesystem:tools:call:write_file").allow == false
}

test_permission_admin_forms if {
	holds(who(["servers"]), "admin:servers:manage").allow == true
	holds(who(["servers"]), "admin:users:manage").allow == false
	d := holds(who(["user"]), "admin:servers:manage")
	d.allow == false
	rules_of(d) == {"rbac.missing_permission"}

	# defaultRole readonly for an unknown role: no admin either
	holds(who(["nobody"]), "admin:servers:manage").allow == false

	# an admin grant is no MCP grant, nor the reverse
	holds(who(["servers"]), "mcp:tools:call").allow == false
}

test_permission_token_claims_narrow if {
	p := object.union(who(["admin"]), {"permissions": ["mcp:tools"]})
	holds(p, "mcp:tools:*").allow == true
	d := holds(p, "admin:servers:manage")
	d.allow == false
	rules_of(d) == {"rbac.token_permissions"}
	s := object.union(who(["admin"]), {"scope": "admin:servers mcp"})
	holds(s, "admin:servers:manage").allow == true
	ds := holds(s, "server:filesystem:*")
	ds.allow == true
	dn := holds(object.union(who(["admin"]), {"scope": "mcp:tools"}), "admin:servers:manage")
	rules_of(dn) == {"rbac.token_scope"}
}

test_permission_unknown_and_anonymous if {
	d := holds(who(["admin"]), "root:everything")
	d.allow == false
	rules_of(d) == {"rbac.unknown_permission", "rbac.missing_permission"}
	holds(who(["admin"]), "admin::x").allow == false
	a := holds(null, "mcp:tools:*")
	a.allow == false
	"authn.required" in rules_of(a)
}

test_permission_authorization_disabled_holds_all if {
	cfg := {"authentication": {"enabled": true}, "authorization": {"enabled": false}}
	holds_cfg(cfg, who([]), "admin:servers:manage") == {"allow": true, "reasons": []}
}
