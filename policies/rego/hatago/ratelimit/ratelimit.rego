# METADATA
# title: Rate limits
# description: |
#   Which rate limits apply to one MCP request (stage "request"). Reads
#   data.config.rateLimit (the operator's security.rateLimit section) and
#   returns `limits`: a list of {name, key, windowMs, max}. The runtime counts
#   every key in a sliding window and admits the request only when all of them
#   have budget left. `denial_limits` is the same for denied requests: a
#   budget of denials per key (data.hatago.denialLimits, replaced by the
#   operator's security.rateLimit.denialLimits), carried by denied decisions.
#   Grammar of filters, keys and tiers: docs/rate-limits.md.
package hatago.ratelimit

import data.hatago.rbac

# --- configuration ----------------------------------------------------------

default cfg := {}

cfg := data.config.rateLimit if is_object(data.config.rateLimit)

# Rate limiting is on unless the operator sets enabled: false.
disabled if cfg.enabled == false

default rules := []

rules := cfg.rules if is_array(cfg.rules)

# Denial budgets: the bundle's defaults, replaced whole by the operator's list
# ([] switches them off). Same rule grammar as `rules`.
default bundle_denial_rules := []

bundle_denial_rules := data.hatago.denialLimits if is_array(data.hatago.denialLimits)

denial_rules := cfg.denialLimits if is_array(cfg.denialLimits)

else := bundle_denial_rules

# --- output -----------------------------------------------------------------

# limits: one entry per rule that applies to this request, in config order.
default limits := []

limits := applying(rules) if {
	not disabled
	input.stage == "request"
}

# denial_limits: the same for a request the policy denies (the decision
# carries them; the runtime counts the denial and answers 429 once one is spent).
default denial_limits := []

denial_limits := applying(denial_rules) if {
	not disabled
	input.stage == "request"
}

applying(rs) := [l |
	some r in rs
	valid(r)
	applies(r)
	l := {"name": r.name, "key": key(r), "windowMs": r.windowMs, "max": max_for(r)}
]

# invalid: names (or indexes) of rules that can never apply because they are
# malformed. The schema refuses them at start-up; this is for bundles fed
# other data.
invalid contains label(i, r) if {
	some i, r in rules
	not valid(r)
}

invalid contains concat("", ["denialLimits.", label(i, r)]) if {
	some i, r in denial_rules
	not valid(r)
}

label(i, r) := r.name if is_string(r.name)

else := sprintf("rules[%d]", [i])

valid(r) if {
	is_string(r.name)
	r.name != ""
	is_number(r.windowMs)
	r.windowMs > 0
	is_number(r.max)
	r.max >= 0
	key_kind(r)
}

# --- the request's action ---------------------------------------------------

# The action is RBAC's (hatago.rbac.spec, the one method map), as
# [category, action]: list methods are "<category>:list". Session methods
# (initialize, ping, ...) have no action: only filters that match any request
# ("*") or name the method apply to them.
action := [rbac.spec.category, rbac.spec.action] if rbac.spec.type == "item"

action := [rbac.spec.category, "list"] if rbac.spec.type == "list"

# --- which rules apply ------------------------------------------------------

applies(r) if {
	filter_ok(r)
	servers_ok(r)
	tools_ok(r)
	runtime_ok(r)
}

# filter: absent, one string, or a list of strings (any of them matches).
filter_ok(r) if not has_key(r, "filter")

filter_ok(r) if {
	is_string(r.filter)
	filter_match(r.filter)
}

filter_ok(r) if {
	is_array(r.filter)
	some f in r.filter
	filter_match(f)
}

has_key(obj, k) if _ = obj[k]

# Filter grammar (docs/rate-limits.md, "Filters"): "*", "method:<mcp method>",
# or a permission string in RBAC's grammar (hatago.rbac.parse):
#   mcp:<category>[:<action>]             e.g. mcp:tools:call, mcp:tools, mcp:*:call
#   server:<id>[:<category>[:<action>[:<item>]]]
#                                         e.g. server:github:tools:call:create_*
# A filter matches the requests that permission would grant. Other strings
# match nothing.
filter_match("*")

filter_match(f) if {
	startswith(f, "method:")
	substring(f, 7, -1) == input.request.method
}

filter_match(f) if {
	g := rbac.parse(f)
	rbac.wild_or(g.server, input.request.server)
	rbac.wild_or(g.category, action[0])
	rbac.wild_or(g.action, action[1])
	rbac.item_match(g, input.request.name)
}

# servers: the request targets one of these upstream servers.
servers_ok(r) if not has_key(r, "servers")

servers_ok(r) if input.request.server in r.servers

# tools: a tools/call whose upstream-local tool name matches one pattern.
tools_ok(r) if not has_key(r, "tools")

tools_ok(r) if {
	input.request.method == "tools/call"
	some p in r.tools
	rbac.pattern_match(p, input.request.name)
}

# filter "runtime": a JavaScript predicate (RateLimiter.addRule) evaluated by
# the runtime, whose result arrives as input.ratelimit.matched (rule names).
runtime_ok(r) if not r.runtimeFilter == true

runtime_ok(r) if {
	r.runtimeFilter == true
	r.name in input.ratelimit.matched
}

# --- tiers ------------------------------------------------------------------

default roles := []

roles := [x | some x in input.principal.roles; is_string(x)] if is_array(input.principal.roles)

# The caller's tier values: one per role of the principal named in `tiers`.
tier_values(r) := [v | some x in roles; v := r.tiers[x]; is_number(v); v >= 0] if is_object(r.tiers)

else := []

# max_for(r): the highest tier value among the caller's roles (the most
# generous tier the caller holds); the rule's own max when no role has a tier.
max_for(r) := max(tier_values(r)) if count(tier_values(r)) > 0

else := r.max

# --- keys -------------------------------------------------------------------

# key_kind(r): "ip" | "user" | "user+ip" | "custom"; default "ip".
key_kind(r) := "ip" if not has_key(r, "keyGenerator")

key_kind(r) := r.keyGenerator if r.keyGenerator in {"ip", "user", "user+ip", "custom"}

default ip := "unknown"

ip := input.client.ip if is_string(input.client.ip)

default sub := ""

sub := input.principal.sub if is_string(input.principal.sub)

# key(r) is "<rule>:<kind>:<value>" (concat, not sprintf: opa-wasm's sprintf
# is a call out to JavaScript, three per request; every part is a string, a
# valid rule's name too). A user key needs a principal with a
# non-empty sub, else it falls back to the ip key. user+ip puts the ip first
# and "|" before the sub (an address never contains "|").
key(r) := concat("", [r.name, ":ip:", ip]) if key_kind(r) == "ip"

key(r) := concat("", [r.name, ":user:", sub]) if {
	key_kind(r) == "user"
	sub != ""
}

key(r) := concat("", [r.name, ":user+ip:", ip, "|", sub]) if {
	key_kind(r) == "user+ip"
	sub != ""
}

key(r) := concat("", [r.name, ":custom:", input.ratelimit.key]) if {
	key_kind(r) == "custom"
	is_string(input.ratelimit.key)
	input.ratelimit.key != ""
}

key(r) := concat("", [r.name, ":ip:", ip]) if {
	key_kind(r) in {"user", "user+ip"}
	sub == ""
}

key(r) := concat("", [r.name, ":ip:", ip]) if {
	key_kind(r) == "custom"
	not custom_key
}

custom_key if {
	is_string(input.ratelimit.key)
	input.ratelimit.key != ""
}
