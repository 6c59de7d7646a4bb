package hatago.flows_test

import data.hatago.flows

config := {
	"authentication": {"enabled": true},
	"authorization": {"enabled": true},
	"flows": {"labels": {
		"files:read_*": ["private_read"],
		"web:post_*": ["public_write"],
		"*:fetch_url": ["untrusted_input"],
	}},
}

call(server, tool, seen) := {
	"contract": 2,
	"stage": "request",
	"transport": "http",
	"now_ns": 0,
	"client": {"ip": "127.0.0.1", "socket_ip": "127.0.0.1", "forwarded_for": [], "origin": null},
	"principal": {"sub": "u-1", "roles": ["user"], "permissions": null, "scope": null, "claims": {}},
	"request": {"method": "tools/call", "server": server, "name": tool, "exposed": concat("_", [server, tool]), "arguments": {}},
	"session": {"history": [], "labels": seen},
}

decide(server, tool, seen) := d if {
	d := data.hatago.decision with input as call(server, tool, seen) with data.config as config
}

test_labels_by_server_and_pattern if {
	flows.labels == ["private_read"] with input as call("files", "read_secret", []) with data.config as config
	flows.labels == ["public_write"] with input as call("web", "post_comment", []) with data.config as config
	flows.labels == ["untrusted_input"] with input as call("any", "fetch_url", []) with data.config as config
	flows.labels == [] with input as call("files", "write_secret", []) with data.config as config
}

test_labels_only_for_calls if {
	inp := object.union(call("files", "read_secret", []), {"request": {"method": "prompts/get"}})
	flows.labels == [] with input as inp with data.config as config
}

test_operator_key_replaces_bundle_key if {
	flows.labels == ["x"] with input as call("files", "read_a", [])
		with data.config as {"flows": {"labels": {"files:read_*": ["x"]}}}
		with data.hatago.flowLabels as {"files:read_*": ["private_read"]}
}

test_allowed_call_names_its_labels if {
	d := decide("files", "read_secret", [])
	d.allow == true
	d.flow_labels == ["private_read"]
}

test_public_write_after_private_read_needs_approval if {
	d := decide("web", "post_comment", ["private_read"])
	d.allow == false
	d.code == "ERR_APPROVAL_REQUIRED"
	d.approval.rules == ["flows.private-read-then-public-write"]
	d.approval.approvers == []
	d.approval.timeout_s == 300
	d.approval.reason == "a public_write after a private_read in this session may leak private data"
	d.flow_labels == ["public_write"]
}

test_public_write_without_private_read_is_allowed if {
	d := decide("web", "post_comment", ["untrusted_input"])
	d.allow == true
}

test_no_session_is_an_empty_history if {
	inp := object.remove(call("web", "post_comment", []), ["session"])
	d := data.hatago.decision with input as inp with data.config as config
	d.allow == true
}

test_deny_outcome if {
	cfg := object.union(config, {"flows": {"rules": [{"id": "no-leak", "after": "private_read", "then": "public_write", "outcome": "deny", "reason": "no public writes after private reads"}]}})
	d := data.hatago.decision with input as call("web", "post_comment", ["private_read"]) with data.config as cfg
	d.allow == false
	d.code == "ERR_PERMISSION_DENIED"
	[r.rule | some r in d.reasons] == ["flows.no-leak"]
	d.reasons[0].message == "no public writes after private reads"
	not d.approval
}

test_misspelt_outcome_denies if {
	cfg := object.union(config, {"flows": {"rules": [{"id": "r", "after": "private_read", "then": "public_write", "outcome": "aproval"}]}})
	d := data.hatago.decision with input as call("web", "post_comment", ["private_read"]) with data.config as cfg
	d.allow == false
	d.reasons[0].rule == "flows.r"
	d.reasons[0].message == "a public_write call after a private_read in this session"
}

test_operator_rules_replace_bundle_rules if {
	d := data.hatago.decision with input as call("web", "post_comment", ["private_read"]) with data.config as object.union(config, {"flows": {"rules": []}})
	d.allow == true
}

test_flows_apply_with_authorization_off if {
	cfg := object.union(config, {"authorization": {"enabled": false}})
	d := data.hatago.decision with input as call("web", "post_comment", ["private_read"]) with data.config as cfg
	d.code == "ERR_APPROVAL_REQUIRED"
}
