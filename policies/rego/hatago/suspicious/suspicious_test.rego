package hatago.suspicious_test

ask(recent) := d if {
	d := data.hatago.decision with input as {"contract": 2, "stage": "suspicious", "now_ns": 0, "transport": "http", "recent": recent}
}

quiet := {"auth_failures": 0, "denials": 0}

test_quiet_is_not_suspicious if {
	d := ask({"ip": quiet, "user": quiet})
	d.allow == true
	d.suspicious == {"ip": false, "user": false}
	d.block_ms == 0
	d.reasons == []
	d.window_ms == 60000
	d.cooldown_ms == 300000
}

test_auth_failures_from_one_ip_at_threshold if {
	d := ask({"ip": {"auth_failures": 5, "denials": 0}, "user": null})
	d.suspicious == {"ip": true, "user": false}
	d.reasons[0].rule == "suspicious.ip.auth_failures"
	d.block_ms == 0
}

test_below_threshold if {
	d := ask({"ip": {"auth_failures": 4, "denials": 19}, "user": {"auth_failures": 4, "denials": 19}})
	d.suspicious == {"ip": false, "user": false}
}

test_denials_of_one_user if {
	d := ask({"ip": quiet, "user": {"auth_failures": 0, "denials": 20}})
	d.suspicious == {"ip": false, "user": true}
	d.reasons == [{"rule": "suspicious.user.denials", "message": "user has 20 denials within 60000 ms (threshold 20)"}]
}

test_block_after_block_threshold if {
	d := ask({"ip": {"auth_failures": 10, "denials": 0}})
	d.suspicious.ip == true
	d.block_ms == 300000
	some r in d.reasons
	r.rule == "suspicious.block.auth_failures"
}

test_denials_do_not_block_by_default if {
	d := ask({"ip": {"auth_failures": 0, "denials": 1000}})
	d.block_ms == 0
}

test_operator_overrides_thresholds_and_block if {
	d := ask({"ip": {"auth_failures": 2, "denials": 0}}) with data.config.suspicious as {"authFailures": 2, "windowMs": 1000, "block": {"authFailures": 2, "durationMs": 5000}}
	d.suspicious.ip == true
	d.window_ms == 1000
	d.cooldown_ms == 300000
	d.block_ms == 5000
}

test_zero_threshold_disables_that_kind if {
	d := ask({"ip": {"auth_failures": 100, "denials": 0}}) with data.config.suspicious as {"authFailures": 0, "block": {"authFailures": 0}}
	d.suspicious.ip == false
	d.block_ms == 0
}

test_disabled if {
	d := ask({"ip": {"auth_failures": 100, "denials": 100}}) with data.config.suspicious as {"enabled": false}
	d.suspicious == {"ip": false, "user": false}
	d.block_ms == 0
}

test_missing_recent_is_quiet if {
	d := data.hatago.decision with input as {"contract": 2, "stage": "suspicious", "now_ns": 0, "transport": "http"}
	d.suspicious == {"ip": false, "user": false}
}

# --- stage network ------------------------------------------------------------

net_input(ip, recent) := {"contract": 2, "stage": "network", "now_ns": 1000, "transport": "http", "client": {"ip": ip, "socket_ip": ip, "forwarded_for": [], "origin": null, "user_agent": null}, "recent": recent}

test_blocked_address_is_denied_with_client_blocked if {
	d := data.hatago.decision with input as net_input("10.0.0.9", {"addresses": {"10.0.0.9": {"blocked_until_ns": 2000}}})
	d.allow == false
	d.code == "ERR_CLIENT_BLOCKED"
	d.reasons[0].rule == "suspicious.blocked"
}

test_expired_block_is_allowed if {
	d := data.hatago.decision with input as net_input("10.0.0.9", {"addresses": {"10.0.0.9": {"blocked_until_ns": 1000}}})
	d.allow == true
}

test_other_address_block_does_not_apply if {
	d := data.hatago.decision with input as net_input("10.0.0.8", {"addresses": {"10.0.0.9": {"blocked_until_ns": 2000}}})
	d.allow == true
}

test_no_recent_is_allowed if {
	d := data.hatago.decision with input as net_input("10.0.0.9", null)
	d.allow == true
}

test_block_follows_the_effective_client_address if {
	i := object.union(net_input("10.0.0.1", {"addresses": {"203.0.113.9": {"blocked_until_ns": 2000}}}), {"client": {"forwarded_for": ["203.0.113.9"]}})
	d := data.hatago.decision with input as i with data.config.network as {"trustedProxies": ["10.0.0.1"]}
	d.allow == false
	d.code == "ERR_CLIENT_BLOCKED"
	d.client_ip == "203.0.113.9"
}

test_network_rule_code_wins_over_block if {
	d := data.hatago.decision with input as net_input("10.0.0.9", {"addresses": {"10.0.0.9": {"blocked_until_ns": 2000}}}) with data.config.network as {"blockedIPs": ["10.0.0.9"]}
	d.code == "ERR_NETWORK_DENIED"
	count(d.reasons) == 2
}

test_block_says_when_it_ends if {
	d := data.hatago.decision with input as net_input("10.0.0.9", {"addresses": {"10.0.0.9": {"blocked_until_ns": 2000}}})
	d.blocked_until_ns == 2000
}

test_other_denials_carry_no_block_end if {
	d := data.hatago.decision with input as net_input("10.0.0.9", {"addresses": {"10.0.0.9": {"blocked_until_ns": 2000}}}) with data.config.network as {"blockedIPs": ["10.0.0.9"]}
	not d.blocked_until_ns
}

# --- exemptAddresses ------------------------------------------------------------

exempt_cfg := {"exemptAddresses": ["127.0.0.1/32", "10.1.0.0/16", "2001:db8::1"]}

ask_from(ip, recent) := d if {
	d := data.hatago.decision with input as {"contract": 2, "stage": "suspicious", "now_ns": 0, "transport": "http", "client_ip": ip, "recent": recent}
}

test_exempt_address_is_reported_but_never_blocked if {
	d := ask_from("10.1.2.3", {"ip": {"auth_failures": 100, "denials": 0}}) with data.config.suspicious as exempt_cfg
	d.suspicious.ip == true
	d.block_ms == 0
}

test_exempt_bare_ipv6_and_mapped_ipv4 if {
	ask_from("2001:db8::1", {"ip": {"auth_failures": 100, "denials": 0}}).block_ms == 0 with data.config.suspicious as exempt_cfg
	ask_from("::ffff:127.0.0.1", {"ip": {"auth_failures": 100, "denials": 0}}).block_ms == 0 with data.config.suspicious as exempt_cfg
}

test_address_outside_the_exemption_is_blocked if {
	d := ask_from("10.2.0.1", {"ip": {"auth_failures": 10, "denials": 0}}) with data.config.suspicious as exempt_cfg
	d.block_ms == 300000
}

test_no_address_is_not_exempt if {
	d := ask({"ip": {"auth_failures": 10, "denials": 0}}) with data.config.suspicious as exempt_cfg
	d.block_ms == 300000
}

test_exemption_lifts_a_running_block if {
	d := data.hatago.decision with input as net_input("10.1.0.9", {"addresses": {"10.1.0.9": {"blocked_until_ns": 2000}}}) with data.config.suspicious as exempt_cfg
	d.allow == true
}
