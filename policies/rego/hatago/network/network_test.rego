package hatago.network_test

import data.hatago.network

# --- fixtures ---------------------------------------------------------------

net_input(socket, xff, origin) := {
	"contract": 2,
	"stage": "network",
	"transport": "http",
	"now_ns": 0,
	"client": {"ip": null, "socket_ip": socket, "forwarded_for": xff, "origin": origin, "user_agent": null},
}

decide(cfg, socket, xff, origin) := d if {
	d := data.hatago.decision with input as net_input(socket, xff, origin)
		with data.config as {"network": cfg}
}

guide := {
	"allowedIPs": ["192.168.1.0/24", "10.0.0.0/8"],
	"blockedIPs": ["0.0.0.0/0"],
	"allowedDomains": ["*.company.com", "api.trusted.com"],
	"cors": {"enabled": true, "origin": ["https://app.company.com"], "credentials": true},
}

allowed(cfg, ip) if decide(cfg, ip, [], null).allow == true

rules_of(d) := {r.rule | some r in d.reasons}

# --- address normalization --------------------------------------------------

test_norm_ipv4 if network.norm(" 192.168.1.5 ") == "192.168.1.5"

test_norm_mapped_ipv6_is_ipv4 if network.norm("::ffff:127.0.0.1") == "127.0.0.1"

test_norm_mapped_upper_case if network.norm("::FFFF:10.1.2.3") == "10.1.2.3"

test_norm_ipv6_lower_case if network.norm("2001:DB8::1") == "2001:db8::1"

test_norm_zone_dropped if network.norm("fe80::1%eth0") == "fe80::1"

test_norm_rejects_garbage if {
	not network.norm("not-an-ip")
	not network.norm("1.2.3")
	not network.norm("1.2.3.4:80")
	not network.norm("")
	not network.norm(42)
	not network.norm(null)
}

test_norm_rejects_hex_mapped if not network.norm("::ffff:7f00:1")

test_entry_forms if {
	network.entry("10.0.0.0/8") == {"cidr": "10.0.0.0/8", "len": 8, "all": false}
	network.entry("127.0.0.1") == {"cidr": "127.0.0.1/32", "len": 32, "all": false}
	network.entry("::1") == {"cidr": "::1/128", "len": 128, "all": false}
	network.entry("0.0.0.0/0").all
	not network.entry("10.0.0.0/x")
	not network.entry("10.0.0.0/8/9")
	not network.entry("10.0.0.0/200")
	not network.entry(7)
}

# --- allow and block lists --------------------------------------------------

test_no_config_allows_everyone if {
	d := data.hatago.decision with input as net_input("203.0.113.9", [], null)
	d.allow == true
	d.client_ip == "203.0.113.9"
	d.reasons == []
}

test_guide_example_means_only_these if {
	allowed(guide, "192.168.1.5")
	allowed(guide, "10.20.30.40")
	not allowed(guide, "192.168.2.1")
	not allowed(guide, "8.8.8.8")
}

test_guide_example_denies_ipv6 if {
	d := decide(guide, "2001:db8::1", [], null)
	d.allow == false
	d.code == "ERR_NETWORK_DENIED"
	rules_of(d) == {"network.blocked_ip"}
}

test_guide_example_mapped_ipv6 if {
	allowed(guide, "::ffff:192.168.1.5")
	not allowed(guide, "::ffff:8.8.8.8")
	decide(guide, "::ffff:192.168.1.5", [], null).client_ip == "192.168.1.5"
}

test_blocked_reason_named if {
	d := decide(guide, "8.8.8.8", [], null)
	d.allow == false
	d.code == "ERR_NETWORK_DENIED"
	rules_of(d) == {"network.blocked_ip"}
	d.client_ip == "8.8.8.8"
}

test_allow_list_alone if {
	cfg := {"allowedIPs": ["127.0.0.1", "::1"]}
	allowed(cfg, "127.0.0.1")
	allowed(cfg, "::1")
	allowed(cfg, "::ffff:127.0.0.1")
	not allowed(cfg, "127.0.0.2")
	rules_of(decide(cfg, "127.0.0.2", [], null)) == {"network.not_in_allowlist"}
}

test_block_list_alone if {
	cfg := {"blockedIPs": ["10.0.0.0/8", "2001:db8::/32"]}
	not allowed(cfg, "10.1.2.3")
	not allowed(cfg, "::ffff:10.1.2.3")
	not allowed(cfg, "2001:db8::abcd")
	allowed(cfg, "11.0.0.1")
	allowed(cfg, "2001:db9::1")
}

test_block_all_ipv4_blocks_ipv6_too if {
	not allowed({"blockedIPs": ["0.0.0.0/0"]}, "2001:db8::1")
	not allowed({"blockedIPs": ["::/0"]}, "192.0.2.1")
}

test_allow_all_ipv4_does_not_admit_ipv6 if {
	cfg := {"allowedIPs": ["0.0.0.0/0"]}
	allowed(cfg, "198.51.100.7")
	not allowed(cfg, "2001:db8::1")
}

test_more_specific_block_wins if {
	cfg := {"allowedIPs": ["10.0.0.0/8"], "blockedIPs": ["10.0.0.5", "10.9.0.0/16"]}
	not allowed(cfg, "10.0.0.5")
	not allowed(cfg, "10.9.1.1")
	allowed(cfg, "10.0.0.6")
}

test_more_specific_allow_wins if {
	cfg := {"allowedIPs": ["10.9.9.9"], "blockedIPs": ["10.0.0.0/8"]}
	allowed(cfg, "10.9.9.9")
	not allowed(cfg, "10.9.9.8")
}

test_tie_blocks if not allowed({"allowedIPs": ["10.0.0.0/8"], "blockedIPs": ["10.0.0.0/8"]}, "10.1.1.1")

test_ipv6_cidr_allowed if {
	cfg := {"allowedIPs": ["2001:db8::/32"]}
	allowed(cfg, "2001:db8:1::1")
	not allowed(cfg, "2001:db9::1")
}

test_malformed_entries_never_match if {
	cfg := {"allowedIPs": ["garbage", "10.0.0.0/abc"], "blockedIPs": ["nonsense/8"]}

	# the allow list is non-empty (the operator meant "only these"), yet nothing matches
	not allowed(cfg, "10.0.0.1")
}

test_non_array_lists_ignored if allowed({"allowedIPs": "10.0.0.0/8"}, "8.8.8.8")

test_missing_socket_address if {
	d := decide({}, null, [], null)
	d.allow == false
	d.code == "ERR_NETWORK_DENIED"
	rules_of(d) == {"network.no_client_address"}
	d.client_ip == null
}

test_bad_socket_address if rules_of(decide({}, "nope", [], null)) == {"network.no_client_address"}

# --- trusted proxies --------------------------------------------------------

proxied := {"trustedProxies": ["10.0.0.0/8"], "allowedIPs": ["203.0.113.0/24"]}

test_xff_ignored_from_untrusted_socket if {
	d := decide(proxied, "198.51.100.1", ["203.0.113.9"], null)
	d.client_ip == "198.51.100.1"
	d.allow == false
}

test_xff_from_trusted_proxy if {
	d := decide(proxied, "10.0.0.1", ["203.0.113.9"], null)
	d.client_ip == "203.0.113.9"
	d.allow == true
}

test_xff_rightmost_untrusted_wins if {
	# a client forging X-Forwarded-For: 203.0.113.9 is still seen as itself
	d := decide(proxied, "10.0.0.1", ["203.0.113.9, 198.51.100.66", "10.0.0.2"], null)
	d.client_ip == "198.51.100.66"
	d.allow == false
}

test_xff_skips_chain_of_trusted_proxies if {
	d := decide(proxied, "10.0.0.1", ["203.0.113.9", "10.0.0.3", "10.0.0.2"], null)
	d.client_ip == "203.0.113.9"
}

test_xff_all_trusted_uses_leftmost if {
	decide(proxied, "10.0.0.1", ["10.0.0.7", "10.0.0.2"], null).client_ip == "10.0.0.7"
}

test_xff_empty_uses_proxy if {
	decide(proxied, "10.0.0.1", [], null).client_ip == "10.0.0.1"
	decide(proxied, "10.0.0.1", null, null).client_ip == "10.0.0.1"
}

test_xff_mapped_and_ipv6 if {
	decide(proxied, "::ffff:10.0.0.1", ["::ffff:203.0.113.9"], null).client_ip == "203.0.113.9"
	decide(proxied, "10.0.0.1", ["2001:db8::9"], null).client_ip == "2001:db8::9"
}

test_xff_malformed_at_stop_point_denies if {
	d := decide(proxied, "10.0.0.1", ["203.0.113.9", "unknown"], null)
	d.allow == false
	d.client_ip == null
	rules_of(d) == {"network.bad_forwarded_for"}
}

test_xff_malformed_with_port_denies if {
	rules_of(decide(proxied, "10.0.0.1", ["203.0.113.9:4711"], null)) == {"network.bad_forwarded_for"}
}

test_xff_malformed_left_of_client_ignored if {
	decide(proxied, "10.0.0.1", ["garbage", "203.0.113.9"], null).client_ip == "203.0.113.9"
}

# --- Origin rule ------------------------------------------------------------

test_no_origin_is_fine if decide(guide, "10.0.0.1", [], null).allow == true

test_loopback_origins_without_lists if {
	decide({}, "127.0.0.1", [], "http://localhost:3000").allow == true
	decide({}, "127.0.0.1", [], "http://127.0.0.1:8080").allow == true
	decide({}, "127.0.0.1", [], "https://[::1]:3000").allow == true
	decide({}, "127.0.0.1", [], "http://LOCALHOST").allow == true
}

test_foreign_origin_without_lists_denied if {
	d := decide({}, "127.0.0.1", [], "http://evil.example")
	d.allow == false
	d.code == "ERR_ORIGIN_DENIED"
	rules_of(d) == {"network.origin_denied"}
	d.client_ip == "127.0.0.1"
}

test_dns_rebinding_lookalikes_denied if {
	not decide({}, "127.0.0.1", [], "http://localhost.evil.example").allow
	not decide({}, "127.0.0.1", [], "http://localhost:3000/path").allow
	not decide({}, "127.0.0.1", [], "http://user@localhost").allow
	not decide({}, "127.0.0.1", [], "file://localhost").allow
	not decide({}, "127.0.0.1", [], "null").allow
	not decide({}, "127.0.0.1", [], 7).allow
}

test_cors_origin_exact if {
	decide(guide, "10.0.0.1", [], "https://app.company.com").allow == true
	decide(guide, "10.0.0.1", [], "HTTPS://APP.company.com").allow == true
	decide({"cors": {"origin": ["https://a.example/"]}}, "10.0.0.1", [], "https://a.example").allow == true
}

test_allowed_domains_globs if {
	decide(guide, "10.0.0.1", [], "https://portal.company.com").allow == true
	decide(guide, "10.0.0.1", [], "https://a.b.company.com:8443").allow == true
	decide(guide, "10.0.0.1", [], "https://api.trusted.com").allow == true
	not decide(guide, "10.0.0.1", [], "https://company.com").allow
	not decide(guide, "10.0.0.1", [], "https://evilcompany.com").allow
	not decide(guide, "10.0.0.1", [], "https://portal.company.com.evil.net").allow
	not decide(guide, "10.0.0.1", [], "https://x.api.trusted.com").allow
}

test_loopback_not_implicit_with_lists if not decide(guide, "10.0.0.1", [], "http://localhost:3000").allow

test_star_origin_allows_any if decide({"cors": {"origin": ["*"]}}, "10.0.0.1", [], "https://anything.example").allow

test_address_and_origin_both_denied if {
	d := decide(guide, "8.8.8.8", [], "https://evil.example")
	d.code == "ERR_NETWORK_DENIED"
	rules_of(d) == {"network.blocked_ip", "network.origin_denied"}
}

# --- stdio and contract -----------------------------------------------------

test_stdio_network_stage_allows if {
	d := data.hatago.decision with input as {"contract": 2, "stage": "network", "transport": "stdio", "client": {"socket_ip": null, "origin": null}}
		with data.config as {"network": guide}
	d.allow == true
	d.client_ip == null
}

test_network_contract_mismatch if {
	d := data.hatago.decision with input as object.union(net_input("127.0.0.1", [], null), {"contract": 1})
	d.allow == false
	d.code == "ERR_NETWORK_DENIED"
	rules_of(d) == {"hatago.contract"}
}

# --- open endpoints (probes, RFC 9728 metadata) -------------------------------

at_path(cfg, socket, origin, path) := d if {
	d := data.hatago.decision with input as object.union(net_input(socket, [], origin), {"http": {"method": "GET", "path": path}})
		with data.config as {"network": cfg}
}

block_all := {"blockedIPs": ["0.0.0.0/0"]}

test_probes_and_metadata_open_to_every_address_by_default if {
	at_path(block_all, "8.8.8.8", null, "/health").allow == true
	at_path(block_all, "8.8.8.8", null, "/health/ready").allow == true
	at_path(block_all, "8.8.8.8", "https://evil.example", "/.well-known/oauth-protected-resource").allow == true
	at_path(block_all, "2001:db8::1", null, "/.well-known/oauth-protected-resource/mcp").allow == true
}

test_other_endpoints_keep_the_address_rules if {
	d := at_path(block_all, "8.8.8.8", null, "/health/details")
	d.allow == false
	d.code == "ERR_NETWORK_DENIED"
	rules_of(d) == {"network.blocked_ip"}
	at_path(block_all, "8.8.8.8", null, "/metrics").allow == false
	at_path(block_all, "8.8.8.8", null, "/mcp").allow == false
	at_path(block_all, "8.8.8.8", null, "/HEALTH").allow == false
	at_path(block_all, "8.8.8.8", null, "/health/").allow == false
}

test_a_prefix_entry_matches_below_it_only if {
	at_path(block_all, "8.8.8.8", null, "/.well-known/oauth-protected-resource/").allow == false
	at_path(block_all, "8.8.8.8", null, "/.well-known/oauth-protected-resourcex").allow == false
	at_path(block_all, "8.8.8.8", null, "/.well-known/other").allow == false
}

test_operator_list_replaces_the_bundle_list if {
	closed := object.union(block_all, {"openEndpoints": []})
	d := at_path(closed, "8.8.8.8", null, "/health")
	d.allow == false
	rules_of(d) == {"network.blocked_ip"}
	only_live := object.union(block_all, {"openEndpoints": ["/health"]})
	at_path(only_live, "8.8.8.8", null, "/health").allow == true
	at_path(only_live, "8.8.8.8", null, "/health/ready").allow == false
}

test_no_http_facts_means_no_open_endpoint if {
	decide(block_all, "8.8.8.8", [], null).allow == false
	d := data.hatago.decision with input as object.union(net_input("8.8.8.8", [], null), {"http": {"path": 7}})
		with data.config as {"network": block_all}
	d.allow == false
}

test_an_open_endpoint_passes_a_suspicious_block if {
	blocked := {"recent": {"addresses": {"203.0.113.9": {"auth_failures": 12, "denials": 0, "blocked_until_ns": 10}}}}
	probe := object.union(object.union(net_input("203.0.113.9", [], null), blocked), {"http": {"method": "GET", "path": "/health"}})
	p := data.hatago.decision with input as probe with data.config as {}
	p.allow == true
	mcp := object.union(probe, {"http": {"method": "POST", "path": "/mcp"}})
	m := data.hatago.decision with input as mcp with data.config as {}
	m.code == "ERR_CLIENT_BLOCKED"
}

test_an_open_endpoint_keeps_the_contract_rule if {
	i := object.union(net_input("8.8.8.8", [], null), {"contract": 0, "http": {"method": "GET", "path": "/health"}})
	d := data.hatago.decision with input as i with data.config as {"network": block_all}
	d.allow == false
	rules_of(d) == {"hatago.contract"}
}
