# METADATA
# title: Tool-definition pinning (rug-pull defence)
# description: |
#   The runtime compares every tool, prompt and resource template definition
#   with its pin and hands the facts over: input.candidates[_].definition on
#   lists, input.definition on tools/call and prompts/get, each
#   {status: "pinned"|"new"|"changed", pinned_digest, digest, description,
#   mentions}. This package holds definitions back: hidden from lists, their
#   calls denied (ERR_DEFINITION_NOT_APPROVED) until an operator approves them
#   (`hatago tools approve`). Held are: changed definitions; new ones when
#   data says pinning.new = "hold"; and unapproved ones whose description
#   carries instructions to the model or names another server's tool.
#   See docs/pinning.md.
package hatago.pinning

import data.hatago.lib

# --- data -------------------------------------------------------------------

modes := {"allow", "hold"}

# The operator's security.pinning.new, else the bundle's pinning.new, else "allow".
default new_mode := "allow"

new_mode := m if {
	m := data.config.pinning.new
	m in modes
} else := m if {
	m := data.hatago.pinningPolicy.new
	m in modes
}

default patterns := []

patterns := data.hatago.pinningPolicy.instructionPatterns if is_array(data.hatago.pinningPolicy.instructionPatterns)

# Cross-server shadowing is checked unless data turns it off.
default shadowing := true

shadowing := false if data.hatago.pinningPolicy.shadowing == false

# --- why a definition is held -----------------------------------------------

status_reasons(d) := {{"rule": "pinning.changed", "message": lib.msg([
	"the definition changed since it was pinned (pinned ", d.pinned_digest,
	", now ", d.digest, "); an operator must approve it",
])}} if {
	d.status == "changed"
} else := {{"rule": "pinning.new_held", "message": lib.msg(["the definition ", d.digest, " is new and pinning.new is \"hold\"; an operator must approve it"])}} if {
	d.status == "new"
	new_mode == "hold"
} else := set()

# All patterns as one alternation (each group keeps its own flags): one
# regex.match per description, which opa-wasm compiles anew on every call;
# the patterns one by one only to name what matched.
any_pattern := concat("|", [concat("", ["(?:", p.regex, ")"]) | some p in patterns])

# A list scans its descriptions one by one only when the text of all its
# unapproved ones together matches some pattern: one regex call for a clean
# list. (A match across two descriptions only costs the per-item scan.)
unapproved_descriptions := [c.definition.description |
	some c in unapproved
	is_string(c.definition.description)
]

unapproved_text := concat("\n", unapproved_descriptions)

default scan := false

scan if not input.candidates

# No unapproved description, nothing to scan: the regex (compiled anew on
# every call) is not asked at all.
scan if {
	count(patterns) > 0
	count(unapproved_descriptions) > 0
	regex.match(any_pattern, unapproved_text)
}

# Names of the instruction patterns the description matches: the runtime's
# copy of this package's own answer for the description (stage
# "pinning_scan" below, asked once per description and bundle; opa-wasm
# compiles a regex anew on every evaluation, which cost a tools/call more
# than the rest of its decision), else scanned here.
instruction_hits(d) := {h | some h in d.instruction_hits} if {
	is_array(d.instruction_hits)
} else := description_hits(object.get(d, "description", null)) if {
	scan
} else := set()

# The instruction patterns a description matches (none for a non-string).
description_hits(description) := {p.name |
	is_string(description)
	count(patterns) > 0
	regex.match(any_pattern, description)
	some p in patterns
	regex.match(p.regex, description)
}

# Stage "pinning_scan": input.description's hits, sorted (hatago/decision answers it).
scan_hits := sort(description_hits(input.description))

mentions(d) := m if {
	m := object.get(d, "mentions", [])
	is_array(m)
} else := []

# Flags hold what no operator approved yet: an approved digest was read by a person.
flag_reasons(d) := instructions | shadows if {
	d.status != "pinned"
	hits := instruction_hits(d)
	instructions := {{"rule": "pinning.instructions", "message": lib.msg(["the description carries instructions to the model (", concat(", ", sort(hits)), ")"])} | count(hits) > 0}
	named := mentions(d)
	shadows := {{"rule": "pinning.shadowing", "message": lib.msg(["the description names other servers' tools: ", concat(", ", sort(named))])} |
		shadowing
		count(named) > 0
	}
} else := set()

held_reasons(d) := status_reasons(d) | flag_reasons(d)

# --- what the entrypoint reads ----------------------------------------------

# Requests for a held definition (tools/call, prompts/get).
deny contains r if {
	input.stage == "request"
	is_object(input.definition)
	some r in held_reasons(input.definition)
}

# The candidates whose definition no operator approved (a status other than
# "pinned"): the only ones a list can hide, found in one pass, so the rules
# below walk only them (a catalogue of approved tools costs one loop).
unapproved := [c |
	some c in input.candidates
	c.definition.status != "pinned"
]

# List items whose definition is held: the same conditions as held_reasons,
# one tight loop each (building reason messages per candidate would cost far more).
hidden contains c.exposed if {
	some c in unapproved
	c.definition.status == "changed"
}

hidden contains c.exposed if {
	new_mode == "hold"
	some c in unapproved
	c.definition.status == "new"
}

hidden contains c.exposed if {
	scan
	some c in unapproved
	count(instruction_hits(c.definition)) > 0
}

hidden contains c.exposed if {
	shadowing
	some c in unapproved
	is_array(c.definition.mentions)
	count(c.definition.mentions) > 0
}
