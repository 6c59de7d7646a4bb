package hatago.breaker_test

import data.hatago.breaker

guide_config := {"circuitBreaker": {
	"enabled": true,
	"rules": {
		"default": {
			"failureThreshold": 5,
			"resetTimeoutMs": 30000,
			"halfOpenMaxCalls": 3,
			"errorClassification": {
				"timeout": "high",
				"connection": "critical",
				"auth": "low",
				"validation": "low",
			},
		},
		"external-services": {
			"failureThreshold": 3,
			"resetTimeoutMs": 60000,
			"errorClassification": {
				"timeout": "critical",
				"network": "high",
			},
		},
	},
}}

builtin_levels := {
	"auth": "low",
	"validation": "low",
	"upstream_error": "medium",
	"timeout": "high",
	"protocol": "high",
	"connection": "critical",
	"response_too_large": "low",
}

# --- rule choice ---------------------------------------------------------------

test_no_config_gives_builtin_defaults if {
	breaker.rule == {"name": "default", "failureThreshold": 5, "resetTimeoutMs": 30000, "halfOpenMaxCalls": 3} with input as {"breaker": {"server": "fs", "tags": ["external-services"]}}
		with data.config as {}
}

test_server_without_tags_uses_default if {
	r := breaker.rule with input as {"breaker": {"server": "fs"}}
		with data.config as guide_config
	r.name == "default"
	r.failureThreshold == 5
}

test_tag_naming_a_rule_chooses_it_merged_over_default if {
	breaker.rule == {"name": "external-services", "failureThreshold": 3, "resetTimeoutMs": 60000, "halfOpenMaxCalls": 3} with input as {"breaker": {"server": "gh", "tags": ["prod", "external-services"]}}
		with data.config as guide_config
}

test_first_matching_tag_wins if {
	cfg := {"circuitBreaker": {"rules": {
		"a": {"failureThreshold": 2},
		"b": {"failureThreshold": 9},
	}}}
	r1 := breaker.rule with input as {"breaker": {"server": "s", "tags": ["x", "b", "a"]}}
		with data.config as cfg
	r1.name == "b"
	r1.failureThreshold == 9
	r2 := breaker.rule with input as {"breaker": {"server": "s", "tags": ["a", "b"]}}
		with data.config as cfg
	r2.name == "a"
	r2.failureThreshold == 2
}

test_tag_rule_over_builtin_when_no_default_rule if {
	cfg := {"circuitBreaker": {"rules": {"slow": {"resetTimeoutMs": 120000}}}}
	breaker.rule == {"name": "slow", "failureThreshold": 5, "resetTimeoutMs": 120000, "halfOpenMaxCalls": 3} with input as {"breaker": {"server": "s", "tags": ["slow"]}}
		with data.config as cfg
}

test_configured_default_rule_replaces_builtin if {
	cfg := {"circuitBreaker": {"rules": {"default": {"failureThreshold": 10, "halfOpenMaxCalls": 1}}}}
	breaker.rule == {"name": "default", "failureThreshold": 10, "resetTimeoutMs": 30000, "halfOpenMaxCalls": 1} with input as {"breaker": {"server": "s", "tags": []}}
		with data.config as cfg
}

test_invalid_settings_fall_through if {
	cfg := {"circuitBreaker": {"rules": {
		"default": {"failureThreshold": 0, "resetTimeoutMs": 1000},
		"odd": {"failureThreshold": 2.5, "resetTimeoutMs": "60s", "halfOpenMaxCalls": -1},
	}}}
	breaker.rule == {"name": "odd", "failureThreshold": 5, "resetTimeoutMs": 1000, "halfOpenMaxCalls": 3} with input as {"breaker": {"server": "s", "tags": ["odd"]}}
		with data.config as cfg
}

test_non_string_tags_and_non_object_rules_are_ignored if {
	cfg := {"circuitBreaker": {"rules": {"bad": 3}}}
	r := breaker.rule with input as {"breaker": {"server": "s", "tags": [7, "bad"]}}
		with data.config as cfg
	r.name == "default"
}

test_rules_not_an_object_means_builtin if {
	r := breaker.rule with input as {"breaker": {"server": "s", "tags": ["x"]}}
		with data.config as {"circuitBreaker": {"rules": ["x"]}}
	r.name == "default"
	r.failureThreshold == 5
}

test_no_breaker_input_no_rule if {
	not breaker.rule with input as {"stage": "request"}
		with data.config as guide_config
}

# --- classification ------------------------------------------------------------

test_builtin_classification if {
	every kind, level in builtin_levels {
		breaker.severity == level with input as {"breaker": {"server": "s", "error_kind": kind}}
			with data.config as {}
	}
}

test_rule_overrides_classification_by_kind if {
	breaker.severity == "critical" with input as {"breaker": {"server": "gh", "tags": ["external-services"], "error_kind": "timeout"}}
		with data.config as guide_config
	breaker.severity == "high" with input as {"breaker": {"server": "fs", "error_kind": "timeout"}}
		with data.config as guide_config
}

test_network_stands_for_connection if {
	breaker.severity == "high" with input as {"breaker": {"server": "gh", "tags": ["external-services"], "error_kind": "connection"}}
		with data.config as guide_config
	breaker.severity == "critical" with input as {"breaker": {"server": "fs", "error_kind": "connection"}}
		with data.config as guide_config
}

test_connection_entry_beats_network_in_same_rule if {
	cfg := {"circuitBreaker": {"rules": {"x": {"errorClassification": {"connection": "medium", "network": "low"}}}}}
	breaker.severity == "medium" with input as {"breaker": {"server": "s", "tags": ["x"], "error_kind": "connection"}}
		with data.config as cfg
}

test_kinds_missing_from_the_rule_come_from_default_then_builtin if {
	cfg := {"circuitBreaker": {"rules": {
		"default": {"errorClassification": {"auth": "medium"}},
		"x": {"errorClassification": {"timeout": "low"}},
	}}}
	breaker.severity == "medium" with input as {"breaker": {"server": "s", "tags": ["x"], "error_kind": "auth"}}
		with data.config as cfg
	breaker.severity == "medium" with input as {"breaker": {"server": "s", "tags": ["x"], "error_kind": "upstream_error"}}
		with data.config as cfg
	breaker.severity == "low" with input as {"breaker": {"server": "s", "tags": ["x"], "error_kind": "timeout"}}
		with data.config as cfg
}

test_invalid_level_is_ignored if {
	cfg := {"circuitBreaker": {"rules": {"default": {"errorClassification": {"timeout": "severe"}}}}}
	breaker.severity == "high" with input as {"breaker": {"server": "s", "error_kind": "timeout"}}
		with data.config as cfg
}

test_response_too_large_does_not_count_by_default if {
	breaker.severity == "low" with input as {"breaker": {"server": "s", "error_kind": "response_too_large"}}
		with data.config as guide_config
}

test_unknown_kind_has_no_severity if {
	not breaker.severity with input as {"breaker": {"server": "s", "error_kind": "network"}}
		with data.config as guide_config
}

# --- the table -----------------------------------------------------------------

test_table_answers_every_server_at_once if {
	t := breaker.table with input as {"stage": "breaker_table", "servers": [
		{"id": "filesystem", "tags": ["local"]},
		{"id": "github", "tags": ["external-services"]},
		{"id": "plain"},
	]}
		with data.config as guide_config
	t.enabled == true
	count(t.servers) == 3
	t.servers.filesystem.rule == {"name": "default", "failureThreshold": 5, "resetTimeoutMs": 30000, "halfOpenMaxCalls": 3}
	t.servers.filesystem.severity == builtin_levels
	t.servers.github.rule == {"name": "external-services", "failureThreshold": 3, "resetTimeoutMs": 60000, "halfOpenMaxCalls": 3}
	t.servers.github.severity == object.union(builtin_levels, {"timeout": "critical", "connection": "high"})
	t.servers.plain.rule.name == "default"
}

test_table_enabled_false_only_when_said if {
	t := breaker.table with input as {"servers": [{"id": "a"}]}
		with data.config as {"circuitBreaker": {"enabled": false}}
	t.enabled == false
	t.servers.a.rule.name == "default"
	t2 := breaker.table with input as {"servers": []}
		with data.config as {}
	t2 == {"enabled": true, "servers": {}}
}

test_table_skips_servers_without_string_id if {
	t := breaker.table with input as {"servers": [{"id": 3}, {"tags": ["x"]}, {"id": "ok"}]}
		with data.config as {}
	object.keys(t.servers) == {"ok"}
}
