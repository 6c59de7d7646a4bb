# METADATA
# title: Argument rules
# description: |
#   Attribute rules on tools/call arguments, data-driven. A rule restricts what
#   the roles it names grant: the call is allowed when some role grants it and
#   none of that role's applicable rules fails. Rules come from the bundle
#   (data.hatago.argumentRules) overlaid by the operator
#   (data.config.authorization.argumentRules), per rule id. See
#   docs/policy-contract.md, "Argument rules".
package hatago.arguments

import data.hatago.lib
import data.hatago.rbac

default bundle_rules := {}

bundle_rules := data.hatago.argumentRules if is_object(data.hatago.argumentRules)

default config_rules := {}

config_rules := data.config.authorization.argumentRules if is_object(data.config.authorization.argumentRules)

# Operator rules replace bundle rules of the same id, whole. A rule set to
# {"enabled": false} is switched off.
rule(id) := config_rules[id] if is_object(config_rules[id])

else := bundle_rules[id] if {
	not config_rules[id]
	is_object(bundle_rules[id])
}

rule_ids := {id | some id, _ in bundle_rules} | {id | some id, _ in config_rules}

# --- which rules apply ------------------------------------------------------

# A rule applies to a tools/call on its server whose upstream-local tool name
# matches one of its `tools`: exact names, "*", or prefix*suffix patterns.
applies(r) if {
	server_ok(r)
	tool_ok(r.tools, input.request.name)
}

tool_ok(tools, name) if name in tools

else if {
	some t in tools
	rbac.pattern_match(t, name)
}

server_ok(r) if r.server == "*"

else if r.server == input.request.server

# restricts(r, role): the rule constrains what `role` grants. roles ["*"] (or
# no roles key) means every role.
restricts(r, role) if not r.roles

else if "*" in r.roles

else if role in r.roles

# --- constraints ------------------------------------------------------------

value(r) := input.request.arguments[r.argument]

# values(v): an array argument is checked element by element.
values(v) := v if is_array(v)

else := [v]

# fails(r) is a message when the call breaks rule r.
fails(r) := lib.msg(["argument ", r.argument, " is required"]) if {
	not present(r)
	not r.required == false
} else := "the rule has no constraint (under, oneOf or pattern)" if {
	present(r)
	not r.under
	not r.oneOf
	not r.pattern
} else := lib.msg(["argument ", r.argument, " must be a normalized absolute path under ", r.under]) if {
	present(r)
	r.under
	some v in values(value(r))
	not under_some(v, r.under)
} else := lib.msg(["argument ", r.argument, " must be one of ", r.oneOf]) if {
	present(r)
	r.oneOf
	some v in values(value(r))
	not v in r.oneOf
} else := lib.msg(["argument ", r.argument, " must match ", r.pattern]) if {
	present(r)
	r.pattern
	some v in values(value(r))
	not pattern_ok(r.pattern, v)
}

present(r) if value(r) != null

pattern_ok(p, v) if {
	is_string(v)
	regex.match(p, v)
}

# --- paths ------------------------------------------------------------------

# A path passes `under` when it is absolute and normalized (no "." or ".."
# segments, no "//", no backslash, no NUL) and equals a root or starts with the
# root followed by "/": /data/public-evil is not under /data/public.
under_some(v, roots) if {
	clean_path(v)
	some root in roots
	under(v, root)
}

clean_path(v) if {
	is_string(v)
	startswith(v, "/")
	not contains(v, "//")
	not contains(v, "\\")
	not contains(v, "\u0000")
	segs := split(v, "/")
	not "." in segs
	not ".." in segs
}

under(v, root) if {
	is_string(root)
	r := trim_suffix(root, "/")
	v == r
}

under(v, root) if {
	is_string(root)
	r := trim_suffix(root, "/")
	startswith(v, concat("", [r, "/"]))
}

# --- verdict ----------------------------------------------------------------

# Only tools/call has arguments rules; only rules restricting a role that
# grants the call matter.
relevant := {id: r |
	input.request.method == "tools/call"
	some id in rule_ids
	r := rule(id)
	not r.enabled == false
	some role in rbac.granting_roles
	restricts(r, role)
	applies(r)
}

# failing: id -> message, for relevant rules the call breaks.
failing := {id: msg | some id, r in relevant; msg := fails(r)}

# Granting roles whose grant survives their rules.
surviving := {role |
	some role in rbac.granting_roles
	not restricted(role)
}

restricted(role) if {
	some id, _ in failing
	restricts(relevant[id], role)
}

deny contains {"rule": concat(".", ["arguments", id]), "message": msg} if {
	count(failing) > 0
	count(surviving) == 0
	some id, msg in failing
}
