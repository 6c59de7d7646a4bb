# METADATA
# title: Circuit breaker rules and error classification
# description: |
#   Chooses, per upstream server, the circuit-breaker rule that applies (by the
#   server's tags) and the severity of each kind of upstream error. Reads
#   data.config.circuitBreaker (the `security.circuitBreaker` section). The
#   runtime asks once per configuration (start-up and policy reload) through
#   `table`, never per request. See docs/circuit-breakers.md.
package hatago.breaker

# --- built-in defaults --------------------------------------------------------

builtin_rule := {
	"failureThreshold": 5,
	"resetTimeoutMs": 30000,
	"halfOpenMaxCalls": 3,
}

builtin_classification := {
	"auth": "low",
	"validation": "low",
	"upstream_error": "medium",
	"timeout": "high",
	"protocol": "high",
	"connection": "critical",
	# One call's answer passed maxResponseBytes: a property of that call (often
	# of what its caller asked for), not of the upstream's health.
	"response_too_large": "low",
}

# The error kinds the runtime reports, and the severities a rule may give them.
kinds := {"timeout", "connection", "auth", "validation", "upstream_error", "protocol", "response_too_large"}

levels := {"low", "medium", "high", "critical"}

# --- configuration ------------------------------------------------------------

default cfg := {}

cfg := data.config.circuitBreaker if is_object(data.config.circuitBreaker)

default rules := {}

rules := cfg.rules if is_object(cfg.rules)

# Breakers are on unless the operator turns them off explicitly.
default enabled := true

enabled := false if cfg.enabled == false

# --- rule choice --------------------------------------------------------------

# tags_of(server) is the server's tag list, or [] when it has none.
tags_of(server) := server.tags if is_array(server.tags)

else := []

# rule_name(tags) is the first tag, in tag order, that names a configured
# rule; "default" when none does.
rule_name(tags) := matching[0] if {
	matching := [t | some t in tags; is_string(t); is_object(rules[t])]
	count(matching) > 0
}

else := "default"

# setting(name, key): the rule's own value, else the "default" rule's, else
# the built-in one. Only positive integers are taken.
setting(name, key) := rules[name][key] if {
	positive_int(rules[name][key])
} else := rules["default"][key] if {
	positive_int(rules["default"][key])
} else := builtin_rule[key]

positive_int(v) if {
	is_number(v)
	v == floor(v)
	v >= 1
}

# rule_for(tags) is the merged rule: the chosen rule over "default" over the
# built-in defaults, key by key.
rule_for(tags) := {
	"name": name,
	"failureThreshold": setting(name, "failureThreshold"),
	"resetTimeoutMs": setting(name, "resetTimeoutMs"),
	"halfOpenMaxCalls": setting(name, "halfOpenMaxCalls"),
} if {
	name := rule_name(tags)
}

# --- classification -----------------------------------------------------------

# given(name, kind) is the level the rule `name` gives to `kind`, if it gives
# a valid one. "network" (the guide's word) stands for "connection" when the
# same rule has no "connection" entry.
given(name, kind) := rules[name].errorClassification[kind] if {
	valid_level(name, kind)
}

given(name, "connection") := rules[name].errorClassification.network if {
	not valid_level(name, "connection")
	valid_level(name, "network")
}

valid_level(name, kind) if rules[name].errorClassification[kind] in levels

# level_for(name, kind): the chosen rule's level, else the "default" rule's,
# else the built-in one. Undefined for an unknown kind.
level_for(name, kind) := given(name, kind) if {
	kind in kinds
} else := given("default", kind) if {
	kind in kinds
} else := builtin_classification[kind]

classification(name) := {kind: level_for(name, kind) | some kind in kinds}

# --- single questions (input.breaker = {server, tags, error_kind}) ------------

default asked_tags := []

asked_tags := tags_of(input.breaker)

# rule is the merged rule for input.breaker.
rule := rule_for(asked_tags) if is_object(input.breaker)

# severity is the level of input.breaker.error_kind under that rule;
# undefined for a kind outside `kinds`.
severity := level_for(rule.name, input.breaker.error_kind)

# --- the table (input.servers = [{id, tags}]) ---------------------------------

# table answers every server at once: the runtime builds its breakers from it.
#   {"enabled": bool, "servers": {id: {"rule": {...}, "severity": {kind: level}}}}
table := {
	"enabled": enabled,
	"servers": {server.id: entry |
		some server in input.servers
		is_string(server.id)
		entry := server_entry(tags_of(server))
	},
}

server_entry(tags) := {"rule": r, "severity": classification(r.name)} if {
	r := rule_for(tags)
}
