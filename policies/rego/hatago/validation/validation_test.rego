package hatago.validation_test

import data.hatago.validation

call(server, exposed, args, size) := {
	"stage": "request",
	"request": {"method": "tools/call", "server": server, "name": "t", "exposed": exposed, "arguments": args, "arguments_size": size},
}

rules(v) := {r.rule | some r in v}

# --- tool name length --------------------------------------------------------

test_name_of_100_characters_passes if {
	name := concat("", ["x" | some _ in numbers.range(1, 100)])
	count(validation.violations) == 0 with input as call("fs", name, {}, 2)
}

test_name_of_101_characters_is_a_violation if {
	name := concat("", ["x" | some _ in numbers.range(1, 101)])
	v := validation.violations with input as call("fs", name, {}, 2)
	rules(v) == {"validation.tool_name_length"}
}

test_prompt_name_is_checked_too if {
	name := concat("", ["p" | some _ in numbers.range(1, 101)])
	v := validation.violations with input as {"stage": "request", "request": {"method": "prompts/get", "server": "fs", "exposed": name, "arguments": null, "arguments_size": 0}}
	rules(v) == {"validation.tool_name_length"}
}

test_name_limit_from_config if {
	v := validation.violations with input as call("fs", "abcdef", {}, 2)
		with data.config.validation as {"maxToolNameLength": 5}
	rules(v) == {"validation.tool_name_length"}
}

test_other_methods_are_not_name_checked if {
	name := concat("", ["r" | some _ in numbers.range(1, 101)])
	count(validation.violations) == 0 with input as {"stage": "request", "request": {"method": "resources/read", "server": "fs", "exposed": name, "arguments": null, "arguments_size": 0}}
}

test_network_stage_has_no_violations if {
	count(validation.violations) == 0 with input as {"stage": "network", "request": {"method": "tools/call", "exposed": "x", "arguments_size": 999999999}}
}

# --- argument size ------------------------------------------------------------

test_default_argument_limit_is_1_mib if {
	count(validation.violations) == 0 with input as call("fs", "fs_t", {}, 1048576)
	v := validation.violations with input as call("fs", "fs_t", {}, 1048577)
	rules(v) == {"validation.argument_size"}
}

test_argument_limit_as_one_number if {
	v := validation.violations with input as call("fs", "fs_t", {}, 11)
		with data.config.validation as {"maxArgumentBytes": 10}
	rules(v) == {"validation.argument_size"}
}

test_argument_limit_by_server_then_star if {
	cfg := {"maxArgumentBytes": {"fs": 10, "*": 100}}
	rules(validation.violations) == {"validation.argument_size"} with input as call("fs", "fs_t", {}, 11)
		with data.config.validation as cfg
	count(validation.violations) == 0 with input as call("gh", "gh_t", {}, 11) with data.config.validation as cfg
	rules(validation.violations) == {"validation.argument_size"} with input as call("gh", "gh_t", {}, 101)
		with data.config.validation as cfg
}

test_argument_limit_by_server_without_star_uses_default if {
	count(validation.violations) == 0 with input as call("gh", "gh_t", {}, 1000) with data.config.validation as {"maxArgumentBytes": {"fs": 10}}
}

test_violation_message_names_sizes if {
	some r in validation.violations with input as call("fs", "fs_t", {}, 11) with data.config.validation as {"maxArgumentBytes": 10}
	r.message == "arguments are 11 bytes; at most 10 allowed for server fs"
}

# --- forbidden patterns -------------------------------------------------------

test_filesystem_default_refuses_dot_dot_segments if {
	rules(validation.violations) == {"validation.forbidden_pattern"} with input as call("filesystem", "filesystem_read_file", {"path": "/data/../etc/passwd"}, 30)
	rules(validation.violations) == {"validation.forbidden_pattern"} with input as call("filesystem", "filesystem_read_file", {"path": ".."}, 10)
	rules(validation.violations) == {"validation.forbidden_pattern"} with input as call("filesystem", "filesystem_read_file", {"path": "a\\..\\b"}, 10)
	rules(validation.violations) == {"validation.forbidden_pattern"} with input as call("filesystem", "filesystem_read_multiple_files", {"paths": ["/ok", "/x/.."]}, 10)
}

test_filesystem_default_allows_dots_in_names if {
	count(validation.violations) == 0 with input as call("filesystem", "filesystem_read_file", {"path": "/data/a..b/file...txt"}, 30)
}

test_literal_prefilter_skips_values_without_the_literal_and_keeps_matches if {
	cfg := {"forbiddenPatterns": {"db": [{"name": "no_drop", "pattern": "(?i)drop\\s+table", "literal": "DROP"}]}}

	# The literal is case-sensitive while the pattern is not: only values with it are checked.
	count(validation.violations) == 0 with input as call("db", "db_query", {"sql": "drop table x"}, 10)
		with data.config.validation as cfg
	rules(validation.violations) == {"validation.forbidden_pattern"} with input as call("db", "db_query", {"sql": "DROP   table x"}, 10)
		with data.config.validation as cfg
}

test_other_servers_have_no_default_patterns if {
	count(validation.violations) == 0 with input as call("github", "github_get", {"path": "../x"}, 10)
}

test_operator_patterns_with_fields if {
	cfg := {"forbiddenPatterns": {"db": [{"name": "no_drop", "pattern": "(?i)drop\\s+table", "fields": ["sql"]}]}}
	v := validation.violations with input as call("db", "db_query", {"sql": "DROP TABLE x", "note": "drop table"}, 10)
		with data.config.validation as cfg
	v == {{"rule": "validation.forbidden_pattern", "message": "argument sql matches forbidden pattern no_drop for server db"}}
	count(validation.violations) == 0 with input as call("db", "db_query", {"note": "drop table"}, 10)
		with data.config.validation as cfg
}

test_operator_patterns_without_fields_check_every_string_at_any_depth if {
	cfg := {"forbiddenPatterns": {"db": [{"pattern": "secret"}]}}
	some r in validation.violations with input as call("db", "db_query", {"a": {"b": [1, "my secret"]}}, 10)
		with data.config.validation as cfg
	r.message == "argument a matches forbidden pattern secret for server db"
}

test_operator_list_replaces_the_shipped_default if {
	count(validation.violations) == 0 with input as call("filesystem", "filesystem_read_file", {"path": "../x"}, 10)
		with data.config.validation as {"forbiddenPatterns": {"filesystem": []}}
}

test_no_arguments_no_pattern_violation if {
	count(validation.violations) == 0 with input as call("filesystem", "filesystem_list", null, 0)
}

# --- every string the request carries (input.request.params) -----------------

with_params(method, server, params) := {"stage": "request", "request": {"method": method, "server": server, "name": "x", "exposed": "x", "arguments": null, "arguments_size": 0, "params": params}}

test_resource_uri_with_dot_dot_is_a_violation if {
	v := validation.violations with input as with_params("resources/read", "filesystem", {"uri": "file:///data/../etc/passwd"})
	v == {{"rule": "validation.forbidden_pattern", "message": "parameter uri matches forbidden pattern path_traversal for server filesystem"}}
	count(validation.violations) == 0 with input as with_params("resources/read", "filesystem", {"uri": "file:///data/a..b"})
}

test_completion_value_with_dot_dot_is_a_violation if {
	params := {"ref": {"type": "ref/resource", "uri": "file:///data/{name}"}, "argument": {"name": "name", "value": "../etc"}}
	v := validation.violations with input as with_params("completion/complete", "filesystem", params)
	v == {{"rule": "validation.forbidden_pattern", "message": "parameter argument.value matches forbidden pattern path_traversal for server filesystem"}}
}

test_arguments_inside_params_are_named_by_argument if {
	v := validation.violations with input as with_params("tools/call", "filesystem", {"name": "filesystem_read_file", "arguments": {"path": ["/ok", "/x/.."]}})
	v == {{"rule": "validation.forbidden_pattern", "message": "argument path matches forbidden pattern path_traversal for server filesystem"}}
}

test_fields_name_params_paths_too if {
	cfg := {"forbiddenPatterns": {"filesystem": [{"name": "uri_only", "pattern": "\\.\\.", "fields": ["uri"]}]}}
	rules(validation.violations) == {"validation.forbidden_pattern"} with input as with_params("resources/read", "filesystem", {"uri": "a/../b"})
		with data.config.validation as cfg
	count(validation.violations) == 0 with input as with_params("tools/call", "filesystem", {"name": "t", "arguments": {"path": "a/../b"}})
		with data.config.validation as cfg
}
