package hatago.arguments_test

import data.hatago.arguments

# --- fixtures ---------------------------------------------------------------

config := {"authentication": {"enabled": true}, "authorization": {"enabled": true, "defaultRole": "readonly"}}

call_input(roles, tool, args) := {
	"contract": 2,
	"stage": "request",
	"transport": "http",
	"now_ns": 0,
	"client": {"ip": "127.0.0.1", "socket_ip": "127.0.0.1", "forwarded_for": [], "origin": null},
	"principal": {"sub": "a-1", "roles": roles, "permissions": null, "scope": null, "claims": {}},
	"request": {"method": "tools/call", "server": "filesystem", "name": tool, "exposed": concat("_", ["filesystem", tool]), "arguments": args},
}

call_cfg(cfg, roles, tool, args) := d if {
	d := data.hatago.decision with input as call_input(roles, tool, args)
		with data.config as cfg
}

call(roles, tool, args) := call_cfg(config, roles, tool, args)

reads(path) if call(["analyst"], "read_file", {"path": path}).allow == true

rules_of(d) := {r.rule | some r in d.reasons}

# --- the shipped example: analyst reads only under /data/public --------------

test_analyst_reads_public_data if {
	reads("/data/public/report.csv")
	reads("/data/public/2024/q1/report.csv")
	reads("/data/public")
	reads("/data/public/")
}

test_analyst_denied_outside if {
	d := call(["analyst"], "read_file", {"path": "/etc/passwd"})
	d.allow == false
	d.code == "ERR_PERMISSION_DENIED"
	rules_of(d) == {"arguments.analyst-public-data"}
}

test_analyst_prefix_tricks_denied if {
	not reads("/data/public-evil/x")
	not reads("/data/publicity")
	not reads("/data")
	not reads("/data/public/../private/x")
	not reads("/data/public/..")
	not reads("/data/public/./x")
	not reads("/data/public//x")
	not reads("//data/public/x")
	not reads("data/public/x")
	not reads("./data/public/x")
	not reads("~/data/public/x")
	not reads("/data/public\\..\\private")
	not reads("/data/public/x\u0000.txt")
}

test_analyst_argument_missing_or_wrong_type if {
	rules_of(call(["analyst"], "read_file", {})) == {"arguments.analyst-public-data"}
	not call(["analyst"], "read_file", null).allow
	not call(["analyst"], "read_file", {"path": null}).allow
	not call(["analyst"], "read_file", {"path": 42}).allow
	not call(["analyst"], "read_file", {"path": {"p": "/data/public/x"}}).allow
}

test_analyst_array_argument_checked_per_element if {
	call(["analyst"], "read_multiple_files", {"paths": ["/data/public/a", "/data/public/b"]}).allow == true
	d := call(["analyst"], "read_multiple_files", {"paths": ["/data/public/a", "/data/secret/b"]})
	d.allow == false
	rules_of(d) == {"arguments.analyst-public-data"}
	d.reasons[0].message == "argument paths must be a normalized absolute path under [\"/data/public\"]"
}

# The grant is server:filesystem:tools:call:read_*: the rule covers it by the same pattern.
test_analyst_any_granted_read_tool_is_checked if {
	d := call(["analyst"], "read_any", {"path": "/etc/passwd"})
	d.allow == false
	rules_of(d) == {"arguments.analyst-public-data"}
	call(["analyst"], "read_any", {"path": "/data/public/a"}).allow == true
}

test_analyst_read_tool_without_a_named_argument_is_refused if {
	d := call(["analyst"], "read_any", {"file": "/etc/passwd"})
	rules_of(d) == {"arguments.analyst-public-data"}
	d.reasons[0].message == "argument one of [\"path\",\"paths\"] is required"
}

test_every_named_argument_present_is_checked if {
	not call(["analyst"], "read_file", {"path": "/data/public/a", "paths": ["/etc/passwd"]}).allow
	not call(["analyst"], "read_multiple_files", {"paths": [], "path": "/etc"}).allow
	call(["analyst"], "read_multiple_files", {"paths": []}).allow == true
}

test_analyst_other_read_tools_covered if {
	call(["analyst"], "read_text_file", {"path": "/data/public/a"}).allow == true
	not call(["analyst"], "read_text_file", {"path": "/srv/a"}).allow
}

test_analyst_cannot_write if {
	d := call(["analyst"], "write_file", {"path": "/data/public/a", "content": "x"})
	rules_of(d) == {"rbac.missing_permission"}
}

test_analyst_sees_filesystem_tools_only if {
	cands := [
		{"server": "filesystem", "kind": "tool", "name": "read_file", "exposed": "filesystem_read_file"},
		{"server": "github", "kind": "tool", "name": "search", "exposed": "github_search"},
	]
	d := data.hatago.decision with input as object.union(call_input(["analyst"], "read_file", null), {"request": {"method": "tools/list"}, "candidates": cands})
		with data.config as config
	d.visible == ["filesystem_read_file"]
}

test_other_role_grant_is_not_restricted if {
	# a caller who is also `user` may read anywhere through the user role
	call(["analyst", "user"], "read_file", {"path": "/etc/hosts"}).allow == true
	call(["user"], "read_file", {"path": "/etc/hosts"}).allow == true
}

test_rules_only_for_tools_call if {
	arguments.deny == set() with input as object.union(call_input(["analyst"], "read_file", {"path": "/etc"}), {"request": {"method": "prompts/get"}})
		with data.config as config
}

# --- operator rules ---------------------------------------------------------

with_rules(rules) := {"authentication": {"enabled": true}, "authorization": {"enabled": true, "argumentRules": rules}}

test_operator_disables_shipped_rule if {
	cfg := with_rules({"analyst-public-data": {"enabled": false}})
	call_cfg(cfg, ["analyst"], "read_file", {"path": "/etc/hosts"}).allow == true
}

test_operator_replaces_shipped_rule if {
	cfg := with_rules({"analyst-public-data": {"roles": ["analyst"], "server": "filesystem", "tools": ["read_file"], "argument": "path", "under": ["/srv/share/"]}})
	call_cfg(cfg, ["analyst"], "read_file", {"path": "/srv/share/a"}).allow == true
	not call_cfg(cfg, ["analyst"], "read_file", {"path": "/data/public/a"}).allow
}

test_one_of_constraint_for_every_role if {
	cfg := with_rules({"encoding": {"roles": ["*"], "server": "*", "tools": ["*"], "argument": "encoding", "oneOf": ["utf-8", "base64"], "required": false}})
	call_cfg(cfg, ["admin"], "write_file", {"path": "/x", "encoding": "utf-8"}).allow == true
	call_cfg(cfg, ["admin"], "write_file", {"path": "/x"}).allow == true
	d := call_cfg(cfg, ["admin"], "write_file", {"path": "/x", "encoding": "latin1"})
	rules_of(d) == {"arguments.encoding"}
}

test_rule_without_roles_applies_to_everyone if {
	cfg := with_rules({"no-roles": {"server": "filesystem", "tools": ["write_*"], "argument": "path", "under": ["/tmp"]}})
	not call_cfg(cfg, ["admin"], "write_file", {"path": "/etc/x"}).allow
	call_cfg(cfg, ["admin"], "write_file", {"path": "/tmp/x"}).allow == true
}

test_pattern_constraint if {
	cfg := with_rules({"ids": {"roles": ["user"], "server": "filesystem", "tools": ["read_file"], "argument": "path", "pattern": "^/home/[a-z]+/notes\\.md$"}})
	call_cfg(cfg, ["user"], "read_file", {"path": "/home/ann/notes.md"}).allow == true
	not call_cfg(cfg, ["user"], "read_file", {"path": "/home/ann/../root/notes.md"}).allow
	not call_cfg(cfg, ["user"], "read_file", {"path": 7}).allow
}

test_rule_without_constraint_denies if {
	cfg := with_rules({"broken": {"roles": ["user"], "server": "filesystem", "tools": ["read_file"], "argument": "path"}})
	d := call_cfg(cfg, ["user"], "read_file", {"path": "/x"})
	d.allow == false
	d.reasons[0].message == "the rule has no constraint (under, oneOf or pattern)"
}

test_rule_on_other_server_does_not_apply if {
	cfg := with_rules({"gh": {"roles": ["*"], "server": "github", "tools": ["*"], "argument": "repo", "oneOf": ["a/b"]}})
	call_cfg(cfg, ["user"], "read_file", {"path": "/x"}).allow == true
}

# --- deny by default: a granted tool no rule of the role covers ---------------

test_granted_tool_without_rule_is_refused_for_a_ruled_role if {
	cfg := with_rules({"analyst-public-data": {"roles": ["analyst"], "server": "filesystem", "tools": ["read_file"], "argument": "path", "under": ["/data/public"]}})
	call_cfg(cfg, ["analyst"], "read_file", {"path": "/data/public/a"}).allow == true
	d := call_cfg(cfg, ["analyst"], "read_text_file", {"path": "/data/public/a"})
	d.allow == false
	d.code == "ERR_PERMISSION_DENIED"
	d.reasons == [{"rule": "arguments.uncovered", "message": "role analyst has argument rules on server filesystem but none covers tool read_text_file: refused by default"}]

	# another granting role without rules still allows it
	call_cfg(cfg, ["analyst", "user"], "read_text_file", {"path": "/etc/x"}).allow == true
}

test_rules_for_every_role_do_not_make_other_tools_deny_by_default if {
	cfg := with_rules({"no-roles": {"server": "filesystem", "tools": ["write_*"], "argument": "path", "under": ["/tmp"]}})
	call_cfg(cfg, ["admin"], "read_file", {"path": "/etc/x"}).allow == true
}

test_role_ruled_on_every_server if {
	cfg := {"authentication": {"enabled": true}, "authorization": {"enabled": true, "roles": {"dev": {"permissions": ["mcp:tools:call"]}}, "argumentRules": {"dev-read": {"roles": ["dev"], "server": "*", "tools": ["read_*"], "argument": "path", "under": ["/src"]}}}}
	call_cfg(cfg, ["dev"], "read_file", {"path": "/src/a"}).allow == true
	rules_of(call_cfg(cfg, ["dev"], "write_file", {"path": "/src/a"})) == {"arguments.uncovered"}
	arguments.uncovered_grants == {{"role": "dev", "server": "*", "tools": "*"}} with data.config as cfg
}

test_disabled_rules_do_not_rule_a_role if {
	cfg := with_rules({"analyst-public-data": {"enabled": false}})
	call_cfg(cfg, ["analyst"], "read_any", {"path": "/etc"}).allow == true
}

# --- the data check: every tool a ruled role's grants allow has a rule ---------

# Fails when the shipped roles grant a tool on a server where the role has
# argument rules but no rule covers it (as read_* against four tool names did).
test_shipped_rules_cover_every_granted_tool if {
	count(arguments.uncovered_grants) == 0 with data.config as config
}

test_uncovered_grants_found if {
	narrow := with_rules({"analyst-public-data": {"roles": ["analyst"], "server": "filesystem", "tools": ["read_file", "read_text_file"], "argument": "path", "under": ["/data/public"]}})
	arguments.uncovered_grants == {{"role": "analyst", "server": "filesystem", "tools": "read_*"}} with data.config as narrow

	# a narrower pattern does not cover a wider grant; a wider one does
	prefix := with_rules({"analyst-public-data": {"roles": ["analyst"], "server": "filesystem", "tools": ["read_f*"], "argument": "path", "under": ["/d"]}})
	count(arguments.uncovered_grants) == 1 with data.config as prefix
	wide := with_rules({"analyst-public-data": {"roles": ["analyst"], "server": "*", "tools": ["re*"], "argument": "path", "under": ["/d"]}})
	count(arguments.uncovered_grants) == 0 with data.config as wide
}

test_pattern_covers if {
	arguments.pattern_covers("*", "*")
	arguments.pattern_covers("*", "x")
	arguments.pattern_covers("read_*", "read_*")
	arguments.pattern_covers("read_*", "read_file")
	arguments.pattern_covers("re*", "read_*")
	arguments.pattern_covers("*_file", "read_*_file")
	not arguments.pattern_covers("read_*", "*")
	not arguments.pattern_covers("read_f*", "read_*")
	not arguments.pattern_covers("read_file", "read_*")
	not arguments.pattern_covers("write_*", "read_file")
}

test_broken_argument_names_deny if {
	cfg := with_rules({"analyst-public-data": {"roles": ["analyst"], "server": "filesystem", "tools": ["read_*"], "argument": 7, "under": ["/data/public"]}})
	not call_cfg(cfg, ["analyst"], "read_file", {"path": "/data/public/a"}).allow
}

test_path_helpers if {
	arguments.clean_path("/a/b")
	not arguments.clean_path("/a/../b")
	arguments.under("/a/b", "/a/")
	arguments.under("/a", "/a")
	not arguments.under("/ab", "/a")
	arguments.under("/anything", "/")
	not arguments.under("/a", 7)
}
