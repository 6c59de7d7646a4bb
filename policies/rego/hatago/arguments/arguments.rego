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

default call_arguments := {}

call_arguments := input.request.arguments if is_object(input.request.arguments)

# names(r): the arguments a rule constrains: `argument` is one name or a list
# of names (e.g. ["path", "paths"] for every read_* tool). Anything else names
# none, so the rule's `required` fails (a broken rule denies).
names(r) := [n | some n in r.argument; is_string(n)] if is_array(r.argument)

else := [r.argument] if is_string(r.argument)

else := []

# values(v): an array argument is checked element by element.
values(v) := v if is_array(v)

else := [v]

# checked(r): [name, value] for every element of every named argument present.
checked(r) := [[n, v] |
	some n in names(r)
	a := object.get(call_arguments, n, null)
	a != null
	some v in values(a)
]

# Present when at least one named argument is there (and not null).
present(r) if {
	some n in names(r)
	object.get(call_arguments, n, null) != null
}

shown_names(r) := names(r)[0] if count(names(r)) == 1

else := lib.msg(["one of ", names(r)])

# fails(r) is a message when the call breaks rule r.
fails(r) := lib.msg(["argument ", shown_names(r), " is required"]) if {
	not present(r)
	not r.required == false
} else := "the rule has no constraint (under, oneOf or pattern)" if {
	present(r)
	not r.under
	not r.oneOf
	not r.pattern
} else := lib.msg(["argument ", n, " must be a normalized absolute path under ", r.under]) if {
	r.under
	some [n, v] in checked(r)
	not under_some(v, r.under)
} else := lib.msg(["argument ", n, " must be one of ", r.oneOf]) if {
	r.oneOf
	some [n, v] in checked(r)
	not v in r.oneOf
} else := lib.msg(["argument ", n, " must match ", r.pattern]) if {
	r.pattern
	some [n, v] in checked(r)
	not pattern_ok(r.pattern, v)
}

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

enabled_rules := {id: r |
	some id in rule_ids
	r := rule(id)
	not r.enabled == false
}

# Only tools/call has arguments rules; only rules restricting a role that
# grants the call matter.
relevant := {id: r |
	input.request.method == "tools/call"
	some id, r in enabled_rules
	some role in rbac.granting_roles
	restricts(r, role)
	applies(r)
}

# failing: id -> message, for relevant rules the call breaks.
failing := {id: msg | some id, r in relevant; msg := fails(r)}

# --- deny by default ----------------------------------------------------------

# A role is ruled on a server when some enabled rule names it in `roles`
# (explicitly, not through "*" or an absent roles key) for that server or
# for "*". Its rules there then describe everything its grant allows: a
# granted tool no rule of the role covers is refused (arguments.uncovered),
# so a grant wider than its rules (read_* against a list of read tools) can
# never reach a tool unchecked. Rules for every role only add restrictions.
names_role(r, role) if {
	is_array(r.roles)
	role in r.roles
}

ruled_on(role, server) if {
	some r in enabled_rules
	names_role(r, role)
	r.server in {server, "*"}
}

covered(role) if {
	some r in enabled_rules
	restricts(r, role)
	applies(r)
}

# Granting roles ruled on the call's server that no rule covers for this tool.
uncovered := {role |
	input.request.method == "tools/call"
	some role in rbac.granting_roles
	ruled_on(role, input.request.server)
	not covered(role)
}

uncovered_reasons := {role: lib.msg(["role ", role, " has argument rules on server ", input.request.server, " but none covers tool ", input.request.name, ": refused by default"]) | some role in uncovered}

# Granting roles whose grant survives their rules.
surviving := {role |
	some role in rbac.granting_roles
	not restricted(role)
	not role in uncovered
}

restricted(role) if {
	some id, _ in failing
	restricts(relevant[id], role)
}

denied if {
	count(failing) + count(uncovered) > 0
	count(surviving) == 0
}

deny contains {"rule": concat(".", ["arguments", id]), "message": msg} if {
	denied
	some id, msg in failing
}

deny contains {"rule": "arguments.uncovered", "message": msg} if {
	denied
	some msg in uncovered_reasons
}

# --- coverage of grants by rules (a data check, not a request decision) -------

# uncovered_grants: for every role ruled on a server, each tool pattern its
# grants allow there that no rule of the role covers whole. Empty for sound
# data; the shipped data is tested to keep it empty (arguments_test), and an
# operator can evaluate it with their own data.config (opa eval).
all_role_names := {n | some n, _ in rbac.bundle_roles} | {n | some n, _ in rbac.config_roles}

rule_servers(role) := {r.server | some r in enabled_rules; names_role(r, role); is_string(r.server)}

call_grant(g) if {
	g.category in {"*", "tools"}
	g.action in {"*", "call"}
}

# The servers a grant reaches among those the role is ruled on.
grant_servers(g, ruled) := ruled if g.server == "*"

else := {g.server} if {
	count({g.server, "*"} & ruled) > 0
} else := set()

uncovered_grants contains {"role": role, "server": server, "tools": g.item} if {
	some role in all_role_names
	rbac.role_def(role)
	ruled := rule_servers(role)
	count(ruled) > 0
	some g in rbac.parsed_role_grants(role)
	call_grant(g)
	some server in grant_servers(g, ruled)
	not grant_covered(role, server, g.item)
}

grant_covered(role, server, item) if {
	some r in enabled_rules
	restricts(r, role)
	r.server in {server, "*"}
	some t in r.tools
	pattern_covers(t, item)
}

# pattern_covers(t, p): every name pattern p matches, pattern t matches too
# (patterns are "*", exact names, or prefix*suffix with one "*").
pattern_covers("*", _)

pattern_covers(t, p) if t == p

pattern_covers(t, p) if {
	not contains(p, "*")
	rbac.pattern_match(t, p)
}

pattern_covers(t, p) if {
	tp := split(t, "*")
	count(tp) == 2
	pp := split(p, "*")
	count(pp) == 2
	startswith(pp[0], tp[0])
	endswith(pp[1], tp[1])
}
