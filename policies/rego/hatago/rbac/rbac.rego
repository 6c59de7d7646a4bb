# METADATA
# title: Role-based access control
# description: |
#   Maps the MCP method to a required permission, computes the caller's
#   effective grants (roles, narrowed by the token's `permissions` and `scope`
#   claims) and decides the request, or filters a list. Permission grammar and
#   semantics: docs/policy-contract.md, "Permissions".
package hatago.rbac

import data.hatago.lib

# --- configuration ----------------------------------------------------------

default authz := {}

authz := data.config.authorization if is_object(data.config.authorization)

# Authorization is on unless the operator sets enabled: false.
disabled if authz.enabled == false

default bundle_roles := {}

bundle_roles := data.hatago.roles if is_object(data.hatago.roles)

default config_roles := {}

config_roles := authz.roles if is_object(authz.roles)

# role_def(name): operator roles replace bundle roles of the same name, whole.
role_def(name) := config_roles[name] if is_object(config_roles[name])

else := bundle_roles[name] if {
	not config_roles[name]
	is_object(bundle_roles[name])
}

# defaultRole, when it names a known role.
default_role := authz.defaultRole if role_def(authz.defaultRole)

# --- method map -------------------------------------------------------------

# type "session": allowed to any caller that passed authentication.
# type "item": needs category:action on (server, name).
# type "list": filters input.candidates of `kind`; an item is visible when the
#   caller holds any of `actions` on it (list, or the use action).
# type "completion": follows what it completes (input.request.kind).
# type "admin": hub administration, not MCP (GET /health/details asks for
#   "admin/status", GET /metrics for "admin/metrics", the security console's
#   reads "admin/console" and its actions "admin/console/write", the approvals
#   endpoint "admin/approvals" and "admin/approvals/decide"); needs the admin
#   permission admin:<category>:<action>.
# type "server": "server/observe", asked by the runtime (never sent by a
#   client) before a session hears server input.request.server's
#   notifications (logging, list_changed): allowed when some grant, in every
#   layer, covers that server, whatever its category and action.
methods := {
	"initialize": {"type": "session"},
	"ping": {"type": "session"},
	"server/discover": {"type": "session"},
	"logging/setLevel": {"type": "session"},
	"resources/unsubscribe": {"type": "session"},
	"tools/list": {"type": "list", "category": "tools", "kind": "tool", "actions": {"list", "call"}},
	"tools/call": {"type": "item", "category": "tools", "action": "call"},
	"resources/list": {"type": "list", "category": "resources", "kind": "resource", "actions": {"list", "read"}},
	"resources/templates/list": {"type": "list", "category": "resources", "kind": "resourceTemplate", "actions": {"list", "read"}},
	"resources/read": {"type": "item", "category": "resources", "action": "read"},
	"resources/subscribe": {"type": "item", "category": "resources", "action": "read"},
	"prompts/list": {"type": "list", "category": "prompts", "kind": "prompt", "actions": {"list", "generate"}},
	"prompts/get": {"type": "item", "category": "prompts", "action": "generate"},
	"completion/complete": {"type": "completion"},
	"admin/status": {"type": "admin", "category": "status", "action": "read"},
	"admin/metrics": {"type": "admin", "category": "metrics", "action": "read"},
	"admin/console": {"type": "admin", "category": "console", "action": "read"},
	"admin/console/write": {"type": "admin", "category": "console", "action": "write"},
	"admin/approvals": {"type": "admin", "category": "approvals", "action": "read"},
	"admin/approvals/decide": {"type": "admin", "category": "approvals", "action": "write"},
	"server/observe": {"type": "server"},
}

completion_targets := {
	"prompt": {"type": "item", "category": "prompts", "action": "generate"},
	"resourceTemplate": {"type": "item", "category": "resources", "action": "read"},
	"resource": {"type": "item", "category": "resources", "action": "read"},
}

# spec: what the current method needs; undefined for an unknown method.
spec := s if {
	s := methods[input.request.method]
	s.type != "completion"
}

spec := completion_targets[input.request.kind] if methods[input.request.method].type == "completion"

# --- permission grammar -----------------------------------------------------

# parse(p) turns a permission string into a grant
# {server, category, action, item, star}; undefined for anything that is not
# an MCP permission (admin:..., malformed strings), which then grants nothing
# in MCP (admin permissions: parse_admin, below).
#   mcp[:<category>[:<action>]]                      = server:*:<category>:<action>:*
#   server[:<server>[:<category>[:<action>[:<item>]]]]
# Missing trailing segments are "*". <item> is the rest of the string (it may
# contain ":"); it is "*", an exact name, or a pattern with one "*" standing
# for any run of characters. `star` holds the pattern split at its "*".
parse(p) := {"server": "*", "category": t[1], "action": t[2], "item": "*", "star": []} if {
	is_string(p)
	s := split(p, ":")
	s[0] == "mcp"
	count(s) <= 3
	not "" in s
	t := array.concat(s, ["*", "*"])
}

parse(p) := {"server": t[1], "category": t[2], "action": t[3], "item": item, "star": star} if {
	is_string(p)
	s := split(p, ":")
	s[0] == "server"
	not "" in array.slice(s, 0, 4)
	t := array.concat(s, ["*", "*", "*", "*"])
	item := rest(s)
	item != ""
	star := stars(item)
}

rest(s) := concat(":", array.slice(s, 4, count(s))) if count(s) > 4

else := "*"

# stars(item): [] for "*" or an exact name, [prefix, suffix] for a pattern
# with one "*"; undefined (the permission grants nothing) for more stars.
stars(item) := [] if item == "*"

else := [] if not contains(item, "*")

else := parts if {
	parts := split(item, "*")
	count(parts) == 2
}

# pattern_match(pattern, name): "*", the exact name, or prefix*suffix (one
# "*" matching any run of characters). Other rules reuse it (arguments).
pattern_match(pattern, name) if pattern == "*"

else if pattern == name

else if {
	is_string(pattern)
	is_string(name)
	parts := split(pattern, "*")
	count(parts) == 2
	startswith(name, parts[0])
	endswith(name, parts[1])
	count(name) >= count(parts[0]) + count(parts[1])
}

# --- effective grants -------------------------------------------------------

default principal_roles := set()

principal_roles := {r | some r in input.principal.roles; is_string(r)} if is_array(input.principal.roles)

known_roles := {r | some r in principal_roles; role_def(r)}

# A principal with no known role (or no principal) gets defaultRole.
default effective_roles := set()

effective_roles := known_roles if count(known_roles) > 0

else := {default_role} if default_role

role_permissions(r) := role_def(r).permissions if is_array(role_def(r).permissions)

else := []

parsed_role_grants(r) := [g | some p in role_permissions(r); g := parse(p)]

# Parsed grants of every known role. The runtime asks for them once per data
# load (stage "compile") and hands them back as data.compiled.role_grants, so
# a request does not parse permission strings again (wasm caches nothing
# between evaluations). Without that data, grants are parsed per request.
compiled_role_grants := {r: parsed_role_grants(r) | some r in ({n | some n, _ in bundle_roles} | {n | some n, _ in config_roles}); role_def(r)}

grants_of(r) := data.compiled.role_grants[r] if is_array(data.compiled.role_grants[r])

else := parsed_role_grants(r)

role_grants := {r: grants_of(r) | some r in effective_roles}

all_role_grants := [g | some r in effective_roles; some g in role_grants[r]]

# Token claims narrow the role grants. Absent (null) means "no narrowing";
# present but empty grants nothing. A string claim is split on spaces.
claim_list(v) := v if is_array(v)

else := split(v, " ") if is_string(v)

else := []

perm_claim if {
	input.principal.permissions != null
}

scope_claim if {
	input.principal.scope != null
}

perm_grants := [g | some p in claim_list(input.principal.permissions); g := parse(p)]

scope_grants := [g | some p in claim_list(input.principal.scope); g := parse(p)]

# --- matching ---------------------------------------------------------------

wild_or(pattern, value) if pattern == "*"

else if pattern == value

# item_match(g, name): the grant's item segment covers the upstream-local
# name (or URI): "*", the exact name, or prefix*suffix.
item_match(g, name) if g.item == "*"

else if g.item == name

else if {
	count(g.star) == 2
	is_string(name)
	startswith(name, g.star[0])
	endswith(name, g.star[1])
	count(name) >= count(g.star[0]) + count(g.star[1])
}

matches(g) if {
	wild_or(g.category, spec.category)
	wild_or(g.action, spec.action)
	wild_or(g.server, input.request.server)
	item_match(g, input.request.name)
}

# --- item requests ----------------------------------------------------------

# Effective roles whose permissions grant this request (arguments rules use it).
granting_roles := {r | spec.type == "item"; some r in effective_roles; some g in role_grants[r]; matches(g)}

perm_ok if not perm_claim

perm_ok if {
	some g in perm_grants
	matches(g)
}

scope_ok if not scope_claim

scope_ok if {
	some g in scope_grants
	matches(g)
}

# needed: the permission the request needs, in server form, for messages.
needed := lib.msg([
	"server:", object.get(input.request, "server", null),
	":", spec.category,
	":", spec.action,
	":", object.get(input.request, "name", null),
])

# --- decision ---------------------------------------------------------------

# allow: RBAC positively allows the request (lists: the list itself; the
# items are filtered by `visible`).
allow if disabled

allow if spec.type in {"session", "list"}

allow if {
	count(granting_roles) > 0
	perm_ok
	scope_ok
}

deny contains {"rule": "rbac.unknown_method", "message": lib.msg(["method ", object.get(input.request, "method", null), " is not in the policy's method map"])} if {
	not disabled
	not spec
}

deny contains {"rule": "rbac.missing_permission", "message": lib.msg(["no role of ", sort(effective_roles), " grants ", needed])} if {
	not disabled
	spec.type == "item"
	count(granting_roles) == 0
}

deny contains {"rule": "rbac.token_permissions", "message": lib.msg(["the token's permissions claim does not include ", needed])} if {
	not disabled
	spec.type == "item"
	not perm_ok
}

deny contains {"rule": "rbac.token_scope", "message": lib.msg(["the token's scope does not include ", needed])} if {
	not disabled
	spec.type == "item"
	not scope_ok
}

# --- admin requests ---------------------------------------------------------

# parse_admin(p): an admin permission admin[:<category>[:<action>]] as
# {category, action}, missing trailing segments "*" (so `admin:*:*` and
# `admin` grant every admin request); undefined for anything else.
parse_admin(p) := {"category": t[1], "action": t[2]} if {
	is_string(p)
	s := split(p, ":")
	s[0] == "admin"
	count(s) <= 3
	not "" in s
	t := array.concat(s, ["*", "*"])
}

admin_matches(p) if {
	g := parse_admin(p)
	wild_or(g.category, spec.category)
	wild_or(g.action, spec.action)
}

admin_roles := {r | spec.type == "admin"; some r in effective_roles; some p in role_permissions(r); admin_matches(p)}

admin_needed := lib.msg(["admin:", spec.category, ":", spec.action])

# The token's permissions and scope claims narrow admin grants as they narrow MCP ones.
admin_perm_ok if not perm_claim

admin_perm_ok if {
	some p in claim_list(input.principal.permissions)
	admin_matches(p)
}

admin_scope_ok if not scope_claim

admin_scope_ok if {
	some p in claim_list(input.principal.scope)
	admin_matches(p)
}

allow if {
	spec.type == "admin"
	count(admin_roles) > 0
	admin_perm_ok
	admin_scope_ok
}

deny contains {"rule": "rbac.missing_permission", "message": lib.msg(["no role of ", sort(effective_roles), " grants ", admin_needed])} if {
	not disabled
	spec.type == "admin"
	count(admin_roles) == 0
}

deny contains {"rule": "rbac.token_permissions", "message": lib.msg(["the token's permissions claim does not include ", admin_needed])} if {
	not disabled
	spec.type == "admin"
	not admin_perm_ok
}

deny contains {"rule": "rbac.token_scope", "message": lib.msg(["the token's scope does not include ", admin_needed])} if {
	not disabled
	spec.type == "admin"
	not admin_scope_ok
}

# --- observing a server ------------------------------------------------------

covers_server(g) if wild_or(g.server, input.request.server)

observe_perm_ok if not perm_claim

observe_perm_ok if {
	some g in perm_grants
	covers_server(g)
}

observe_scope_ok if not scope_claim

observe_scope_ok if {
	some g in scope_grants
	covers_server(g)
}

may_observe if {
	spec.type == "server"
	observe_perm_ok
	observe_scope_ok
	some g in all_role_grants
	covers_server(g)
}

allow if may_observe

deny contains {"rule": "rbac.server_not_visible", "message": lib.msg(["no grant of ", sort(effective_roles), " covers server ", object.get(input.request, "server", null)])} if {
	not disabled
	spec.type == "server"
	not may_observe
}

# --- lists ------------------------------------------------------------------

# A grant shows items of the list's category when its action is "*" or one of
# the list's actions (list, or the use action: call/read/generate).
relevant_to_list(g) if {
	wild_or(g.category, spec.category)
	g.action == "*"
} else if {
	wild_or(g.category, spec.category)
	g.action in spec.actions
}

# A layer is the role grants, or the grants of one token claim. Per layer,
# precomputed once per evaluation: does it show every item (`all`), which
# servers it shows whole, and which single-item grants it holds.
layer(grants) := {
	"all": all_items(rel),
	"servers": {g.server | some g in rel; g.item == "*"},
	"items": [g | some g in rel; g.item != "*"],
} if {
	rel := [g | some g in grants; relevant_to_list(g)]
}

all_items(rel) if {
	some g in rel
	g.server == "*"
	g.item == "*"
} else := false

role_layer := layer(all_role_grants)

default perm_layer := {"all": true, "servers": set(), "items": []}

perm_layer := layer(perm_grants) if perm_claim

default scope_layer := {"all": true, "servers": set(), "items": []}

scope_layer := layer(scope_grants) if scope_claim

layers := [role_layer, perm_layer, scope_layer]

# plan: for each candidate server, the item checks left once whole-server
# grants are taken into account: one list of item grants per layer that does
# not show the server whole. [] means every item of the server is shown; a
# list containing [] means none is.
candidate_servers := {c.server | some c in input.candidates}

plan := {s: p |
	some s in candidate_servers
	p := [gs |
		some l in layers
		not whole(l, s)
		gs := [g | some g in l.items; wild_or(g.server, s)]
	]
}

whole(l, s) if l.all

else if l.servers[s]

# shown(p, name): an item passes its server's plan.
shown(p, name) if count(p) == 0

else if {
	every gs in p {
		some g in gs
		item_match(g, name)
	}
}

default visible := []

visible := [c.exposed | some c in input.candidates; c.kind == kind] if {
	spec.type == "list"
	kind := spec.kind
	disabled
} else := [c.exposed | some c in input.candidates; c.kind == kind] if {
	# Every layer shows every item: no per-server plan to build.
	spec.type == "list"
	kind := spec.kind
	every l in layers {
		l.all
	}
} else := [c.exposed | some c in input.candidates; c.kind == kind; full[c.server]] if {
	spec.type == "list"
	kind := spec.kind
	not partial
	full := {s | some s, p in plan; count(p) == 0}
} else := [c.exposed |
	some c in input.candidates
	c.kind == kind
	shown(plan[c.server], c.name)
] if {
	spec.type == "list"
	kind := spec.kind
}

# Some server needs item-by-item checks.
partial if {
	some p in plan
	count(p) > 0
	every gs in p {
		count(gs) > 0
	}
}

# --- holding a permission (stage "permission") --------------------------------

# Asked by the TypeScript API (AuthorizationManager.checkPermission), never
# for a client's message, about a permission that is not one MCP request: a
# wildcard (mcp:tools:*, server:filesystem:*) or a management permission
# admin:<resource>:<action>. Held when, in every layer (the role grants, then
# the token's permissions and scope claims when present), some permission
# covers input.permission: each of its segments is "*" or the same, and an
# item pattern covers only the names it matches.

# Admin permissions are parsed by parse_admin (see "admin requests"); they
# grant nothing in MCP.
asked_mcp := parse(input.permission)

asked_admin := parse_admin(input.permission)

item_covers(g, item) if g.item == "*"

else if g.item == item

else if {
	not contains(item, "*")
	item_match(g, item)
}

# covers_asked(p): permission string p covers input.permission.
covers_asked(p) if {
	g := parse(p)
	wild_or(g.server, asked_mcp.server)
	wild_or(g.category, asked_mcp.category)
	wild_or(g.action, asked_mcp.action)
	item_covers(g, asked_mcp.item)
}

covers_asked(p) if {
	g := parse_admin(p)
	wild_or(g.category, asked_admin.category)
	wild_or(g.action, asked_admin.action)
}

role_holds if {
	some r in effective_roles
	some p in role_permissions(r)
	covers_asked(p)
}

perm_holds if not perm_claim

perm_holds if {
	some p in claim_list(input.principal.permissions)
	covers_asked(p)
}

scope_holds if not scope_claim

scope_holds if {
	some p in claim_list(input.principal.scope)
	covers_asked(p)
}

holds if disabled

holds if {
	role_holds
	perm_holds
	scope_holds
}

permission_deny contains {"rule": "rbac.unknown_permission", "message": lib.msg([input.permission, " is not a permission (mcp:..., server:... or admin:...)"])} if {
	not asked_mcp
	not asked_admin
}

permission_deny contains {"rule": "rbac.missing_permission", "message": lib.msg(["no role of ", sort(effective_roles), " grants ", input.permission])} if {
	not disabled
	not role_holds
}

permission_deny contains {"rule": "rbac.token_permissions", "message": lib.msg(["the token's permissions claim does not include ", input.permission])} if {
	not disabled
	not perm_holds
}

permission_deny contains {"rule": "rbac.token_scope", "message": lib.msg(["the token's scope does not include ", input.permission])} if {
	not disabled
	not scope_holds
}
