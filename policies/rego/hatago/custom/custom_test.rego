package hatago.custom_test

config := {"authentication": {"enabled": true}, "authorization": {"enabled": true}}

principal(claims) := {"sub": "u-1", "roles": ["user"], "permissions": null, "scope": null, "claims": claims}

cands := [
	{"server": "filesystem", "kind": "tool", "name": "read_file", "exposed": "filesystem_read_file"},
	{"server": "github", "kind": "tool", "name": "search", "exposed": "github_search"},
	{"server": "slack", "kind": "tool", "name": "post", "exposed": "slack_post"},
]

req(claims, method, server, name) := d if {
	d := data.hatago.decision with input as {
		"contract": 2,
		"stage": "request",
		"transport": "http",
		"client": {"ip": "127.0.0.1", "socket_ip": "127.0.0.1", "forwarded_for": [], "origin": null},
		"principal": principal(claims),
		"request": {"method": method, "server": server, "name": name},
		"candidates": cands,
	}
		with data.config as config
}

rules_of(d) := {r.rule | some r in d.reasons}

test_allowed_servers_claim_limits_calls if {
	c := {"allowedServers": ["github", "slack"]}
	req(c, "tools/call", "github", "search").allow == true
	d := req(c, "tools/call", "filesystem", "read_file")
	d.allow == false
	d.code == "ERR_PERMISSION_DENIED"
	rules_of(d) == {"custom.server_specific"}
}

test_allowed_servers_claim_filters_lists if {
	d := req({"allowedServers": ["github", "slack"]}, "tools/list", null, null)
	d.allow == true
	d.visible == ["github_search", "slack_post"]
}

test_empty_allowed_servers_allows_no_server if {
	req({"allowedServers": []}, "tools/list", null, null).visible == []
	not req({"allowedServers": []}, "tools/call", "github", "search").allow
}

test_session_methods_unaffected if req({"allowedServers": []}, "ping", null, null).allow == true

test_no_claim_no_effect if {
	req({}, "tools/call", "filesystem", "read_file").allow == true
	count(req({}, "tools/list", null, null).visible) == 3
	req({"allowedServers": "github"}, "tools/call", "filesystem", "read_file").allow == true
}

test_custom_rules_only_narrow if {
	# the claim cannot add servers the roles do not grant
	d := data.hatago.decision with input as {
		"contract": 2,
		"stage": "request",
		"transport": "http",
		"principal": {"sub": "r", "roles": ["readonly"], "claims": {"allowedServers": ["github"]}},
		"request": {"method": "tools/call", "server": "github", "name": "search"},
	}
		with data.config as config
	d.allow == false
	rules_of(d) == {"rbac.missing_permission"}
}

test_custom_deny_at_network_stage if {
	d := data.hatago.decision with input as {"contract": 2, "stage": "network", "transport": "http", "client": {"socket_ip": "127.0.0.1"}}
		with data.hatago.custom.deny as {{"rule": "custom.maintenance", "message": "closed"}}
	d.allow == false
	d.code == "ERR_NETWORK_DENIED"
	d.reasons == [{"rule": "custom.maintenance", "message": "closed"}]
}
