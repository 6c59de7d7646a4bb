# METADATA
# title: Network access control
# description: |
#   Decides, before authentication, whether an HTTP client may talk to the hub:
#   the effective client address (socket, or X-Forwarded-For from trusted
#   proxies), the allowedIPs / blockedIPs lists, and the Origin rule against DNS
#   rebinding. Reads data.config.network. See docs/policy-contract.md,
#   "Network access control".
package hatago.network

import data.hatago.lib

# --- configuration ----------------------------------------------------------

default cfg := {}

cfg := data.config.network if is_object(data.config.network)

allowed_entries := [e | some raw in list(cfg, "allowedIPs"); e := entry(raw)]

blocked_entries := [e | some raw in list(cfg, "blockedIPs"); e := entry(raw)]

proxy_entries := [e | some raw in list(cfg, "trustedProxies"); e := entry(raw)]

# list(obj, key) is obj[key] when it is an array, else [].
list(obj, key) := obj[key] if is_array(obj[key])

else := []

# entry turns "10.0.0.0/8", "192.168.1.7" or "2001:db8::/32" into
# {cidr, len, all}. A bare address means /32 (IPv4) or /128 (IPv6).
# `all` marks a /0 entry (0.0.0.0/0 or ::/0). Malformed entries never match.
entry(raw) := {"cidr": raw, "len": to_number(parts[1]), "all": to_number(parts[1]) == 0} if {
	is_string(raw)
	parts := split(raw, "/")
	count(parts) == 2
	is_prefix_len(parts[1])
}

is_prefix_len(s) if {
	n := to_number(s)
	n == floor(n)
	n >= 0
	n <= 128
}

entry(raw) := {"cidr": concat("/", [raw, "32"]), "len": 32, "all": false} if {
	is_string(raw)
	not contains(raw, "/")
	not contains(raw, ":")
}

entry(raw) := {"cidr": concat("/", [raw, "128"]), "len": 128, "all": false} if {
	is_string(raw)
	not contains(raw, "/")
	contains(raw, ":")
}

# --- addresses --------------------------------------------------------------

# norm(s) is the canonical form of an address string, or undefined when s is
# not a valid IPv4 or IPv6 address. IPv4-mapped IPv6 (::ffff:127.0.0.1)
# becomes the IPv4 address; a zone (fe80::1%eth0) is dropped.
norm(s) := out if {
	is_string(s)
	t := split(lower(trim_space(s)), "%")[0]
	out := norm_plain(t)
}

norm_plain(t) := t if {
	not contains(t, ":")
	net.cidr_contains("0.0.0.0/0", t)
}

norm_plain(t) := t if {
	contains(t, ":")
	net.cidr_contains("::/0", t)
	not net.cidr_contains("::ffff:0:0/96", t)
}

# IPv4-mapped: only the dotted form is understood; ::ffff:7f00:1 is rejected
# (treated as malformed) rather than guessed.
norm_plain(t) := v4 if {
	startswith(t, "::ffff:")
	v4 := substring(t, 7, -1)
	not contains(v4, ":")
	net.cidr_contains("0.0.0.0/0", v4)
}

# in_entry(e, ip): ip (normalized) lies in entry e.
in_entry(e, ip) if net.cidr_contains(e.cidr, ip)

in_proxies(ip) if {
	some e in proxy_entries
	in_entry(e, ip)
}

# Longest prefix among allowedIPs entries containing ip; -1 when none.
allow_len(ip) := max([e.len | some e in allowed_entries; in_entry(e, ip)]) if {
	some e in allowed_entries
	in_entry(e, ip)
} else := -1

# Longest prefix among blockedIPs entries containing ip; -1 when none. A /0
# entry (0.0.0.0/0 or ::/0) in blockedIPs blocks every address of either
# family: "block everything" must not let IPv6 clients through.
block_len(ip) := max([e.len | some e in blocked_entries; blocks(e, ip)]) if {
	some e in blocked_entries
	blocks(e, ip)
} else := -1

blocks(e, _) if e.all

blocks(e, ip) if in_entry(e, ip)

# --- effective client address -----------------------------------------------

socket := norm(input.client.socket_ip)

socket_trusted if in_proxies(socket)

default forwarded := []

forwarded := input.client.forwarded_for if is_array(input.client.forwarded_for)

# X-Forwarded-For hops, left (client side) to right (nearest proxy). Header
# values that were not split on commas are split here.
hops := [trim_space(part) | some raw in forwarded; is_string(raw); some part in split(raw, ",")]

trusted_hop(h) if in_proxies(norm(h))

# Indexes of hops that are not trusted proxies (or not valid addresses).
untrusted := {i | some i, h in hops; not trusted_hop(h)}

# resolved is {"ip": address} or {"ip": null, "error": rule, "message": text}.
default resolved := {"ip": null, "error": "network.no_client_address", "message": "the client's socket address is missing or not an IP address"}

resolved := {"ip": socket} if not socket_trusted

resolved := walk_forwarded if socket_trusted

# Walk X-Forwarded-For from the right, skipping trusted proxies; the first
# untrusted hop is the client. If every hop is trusted, the leftmost one is.
# A malformed hop where the walk stops is a deny, never a fallback to a proxy.
walk_forwarded := {"ip": socket} if {
	count(hops) == 0
} else := {"ip": norm(hops[0])} if {
	count(untrusted) == 0
} else := {"ip": ip} if {
	ip := norm(hops[max(untrusted)])
} else := {
	"ip": null,
	"error": "network.bad_forwarded_for",
	"message": lib.msg(["X-Forwarded-For entry ", json.marshal(hops[max(untrusted)]), " from a trusted proxy is not an IP address"]),
}

# The effective client address, null when unknown (stdio, or a deny above).
default client_ip := null

client_ip := resolved.ip

# --- address rules ----------------------------------------------------------

# ip_deny: reasons the address is refused (ERR_NETWORK_DENIED).
ip_deny contains {"rule": resolved.error, "message": resolved.message} if resolved.error

ip_deny contains {"rule": "network.blocked_ip", "message": lib.msg(["client address ", client_ip, " is in blockedIPs"])} if {
	client_ip != null
	b := block_len(client_ip)
	b >= 0
	b >= allow_len(client_ip)
}

ip_deny contains {"rule": "network.not_in_allowlist", "message": lib.msg(["client address ", client_ip, " is not in allowedIPs"])} if {
	client_ip != null
	count(allowed_entries) > 0
	allow_len(client_ip) < 0
	block_len(client_ip) < 0
}

# --- Origin rule ------------------------------------------------------------

default cors := {}

cors := cfg.cors if is_object(cfg.cors)

cors_origins := {lower(trim_suffix(o, "/")) | some o in list(cors, "origin"); is_string(o)}

allowed_domains := [lower(d) | some d in list(cfg, "allowedDomains"); is_string(d)]

# No origin list configured: only loopback origins pass.
no_origin_lists if {
	count(cors_origins) == 0
	count(allowed_domains) == 0
}

loopback_hosts := {"localhost", "127.0.0.1", "[::1]"}

# origin_host(o): the host of a serialized origin scheme://host[:port], lower
# case; undefined for anything else (paths, userinfo, "null", other schemes).
origin_host(o) := m[0][2] if {
	is_string(o)
	m := regex.find_all_string_submatch_n(`^(https?)://(\[[0-9a-f:.]+\]|[a-z0-9._-]+)(:[0-9]{1,5})?$`, lower(o), 1)
	count(m) == 1
}

origin_allowed(_) if cors_origins["*"]

origin_allowed(o) if cors_origins[lower(o)]

origin_allowed(o) if {
	host := origin_host(o)
	some d in allowed_domains
	domain_match(d, host)
}

# domain_match: "api.trusted.com" is exact; "*.company.com" matches any
# subdomain of company.com (any depth), not company.com itself.
domain_match(d, host) if d == host

domain_match(d, host) if {
	startswith(d, "*.")
	endswith(host, substring(d, 1, -1))
}

origin_allowed(o) if {
	no_origin_lists
	loopback_hosts[origin_host(o)]
}

origin_deny contains {"rule": "network.origin_denied", "message": lib.msg(["origin ", json.marshal(o), " is not allowed"])} if {
	o := input.client.origin
	o != null
	not origin_allowed(o)
}

# --- result -----------------------------------------------------------------

# Network-stage verdict for HTTP. stdio has no network stage; the entrypoint
# answers it without these rules.
default code := "ERR_NETWORK_DENIED"

code := "ERR_ORIGIN_DENIED" if {
	count(ip_deny) == 0
	count(origin_deny) > 0
}

deny := ip_deny | origin_deny

# --- open endpoints ---------------------------------------------------------

# Endpoints every address may reach (probes, RFC 9728 metadata): the address,
# Origin and block rules do not apply to them. The bundle's list
# (data.hatago.openEndpoints), replaced whole by the operator's
# data.config.network.openEndpoints ([] puts them behind the rules too).
# An entry is an exact path, or a prefix ending in "/*" that matches the
# paths below it (not the prefix itself).
default open_endpoints := []

open_endpoints := cfg.openEndpoints if is_array(cfg.openEndpoints)

else := data.hatago.openEndpoints if is_array(data.hatago.openEndpoints)

open_endpoint if {
	path := input.http.path
	is_string(path)
	some entry in open_endpoints
	endpoint_matches(entry, path)
}

endpoint_matches(entry, path) if {
	is_string(entry)
	not endswith(entry, "/*")
	entry == path
}

endpoint_matches(entry, path) if {
	is_string(entry)
	endswith(entry, "/*")
	prefix := trim_suffix(entry, "*")
	startswith(path, prefix)
	count(path) > count(prefix)
}
