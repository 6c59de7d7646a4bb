# METADATA
# title: Suspicious activity
# description: |
#   Decides when repeated authentication failures or policy denials from one
#   address or one user, within a sliding window, are suspicious (the runtime
#   then records a `suspicious_activity` audit event, once per burst) and when
#   an address is blocked for a while (stage network then denies it with
#   ERR_CLIENT_BLOCKED). The runtime keeps the counts and gives them in
#   `input.recent`; every threshold is here or in data.config.suspicious
#   (the `security.suspicious` section). See docs/audit.md.
package hatago.suspicious

import data.hatago.lib
import data.hatago.network

# --- bundle defaults (an operator overrides any key in security.suspicious) --

defaults := {
	"enabled": true,
	"windowMs": 60000,
	"cooldownMs": 300000,
	"authFailures": 5,
	"denials": 20,
	"block": {"authFailures": 10, "denials": 0, "durationMs": 300000},
	"exemptAddresses": [],
}

default cfg := {}

cfg := data.config.suspicious if is_object(data.config.suspicious)

default block_cfg := {}

block_cfg := cfg.block if is_object(cfg.block)

settings := object.union(object.union(defaults, cfg), {"block": object.union(defaults.block, block_cfg)})

# Count name in input.recent -> threshold name in settings.
kinds := {"auth_failures": "authFailures", "denials": "denials"}

# --- stage "suspicious": asked after each authentication failure or denial ---

hits contains {"rule": concat(".", ["suspicious", scope, kind]), "message": lib.msg([scope, " has ", n, " ", kind, " within ", settings.windowMs, " ms (threshold ", limit, ")"]), "scope": scope} if {
	settings.enabled == true
	some scope in ["ip", "user"]
	counts := input.recent[scope]
	is_object(counts)
	some kind, field in kinds
	limit := settings[field]
	limit > 0
	n := counts[kind]
	n >= limit
}

blocks contains {"rule": concat(".", ["suspicious.block", kind]), "message": lib.msg(["ip has ", n, " ", kind, " (block threshold ", limit, ")"])} if {
	settings.enabled == true
	counts := input.recent.ip
	is_object(counts)
	some kind, field in kinds
	limit := settings.block[field]
	limit > 0
	n := counts[kind]
	n >= limit
}

scope_hit(scope) if {
	some h in hits
	h.scope == scope
} else := false

# Addresses the operator never wants blocked (scrapers, loopback): CIDRs or
# bare addresses in security.suspicious.exemptAddresses. Their bursts are
# still reported as suspicious_activity.
exempt(ip) if {
	addr := network.norm(ip)
	some raw in settings.exemptAddresses
	network.in_entry(network.entry(raw), addr)
}

# input.client_ip: the address the failure or denial came from (absent on stdio).
client_exempt if exempt(input.client_ip)

default block_ms := 0

block_ms := settings.block.durationMs if {
	count(blocks) > 0
	not client_exempt
}

reasons := array.concat(sort([{"rule": h.rule, "message": h.message} | some h in hits]), sort([b | some b in blocks]))

decision := {
	"allow": true,
	"reasons": reasons,
	"window_ms": settings.windowMs,
	"cooldown_ms": settings.cooldownMs,
	"suspicious": {"ip": scope_hit("ip"), "user": scope_hit("user")},
	"block_ms": block_ms,
}

# --- stage "network": a blocked address is denied until its block ends ------

# input.recent.addresses: {address: {blocked_until_ns}} for the addresses this
# request shows (socket and X-Forwarded-For); the block applies to the
# effective client address the network package derived.
# An exemption added while a block lasts lifts it.
network_deny contains {"rule": "suspicious.blocked", "message": lib.msg(["client ", network.client_ip, " is blocked after suspicious activity"])} if {
	blocked_until_ns
}

# When the block ends (wall clock, ns): the runtime answers Retry-After from it.
blocked_until_ns := until if {
	ip := network.client_ip
	until := input.recent.addresses[ip].blocked_until_ns
	until > input.now_ns
	not exempt(ip)
}
