# METADATA
# title: Session limits
# description: |
#   The bounds on 2025-11-25 sessions, returned with an allowed `initialize`
#   decision as `session_limits` (docs/sessions.md). The runtime counts open
#   sessions and idle time and refuses or ends sessions past them; the
#   numbers come from here. Operator values: data.config.sessions.
package hatago.sessions

default cfg := {}

cfg := data.config.sessions if is_object(data.config.sessions)

defaults := {
	"maxPerPrincipal": 32,
	"maxTotal": 10000,
	"idleTimeoutMs": 1800000,
}

# value(key): the operator's positive integer, else the default.
value(key) := cfg[key] if {
	is_number(cfg[key])
	cfg[key] >= 1
	cfg[key] == round(cfg[key])
} else := defaults[key]

limits := {
	"max_per_principal": value("maxPerPrincipal"),
	"max_total": value("maxTotal"),
	"idle_timeout_ms": value("idleTimeoutMs"),
}

# extra: what an allowed decision adds: the limits, on initialize only.
default extra := {}

extra := {"session_limits": limits} if input.request.method == "initialize"
