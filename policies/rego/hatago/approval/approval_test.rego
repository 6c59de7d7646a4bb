package hatago.approval_test

config := {"authentication": {"enabled": true}, "authorization": {"enabled": true}}

call(roles, annotations) := {
	"contract": 2,
	"stage": "request",
	"transport": "http",
	"now_ns": 0,
	"client": {"ip": "127.0.0.1", "socket_ip": "127.0.0.1", "forwarded_for": [], "origin": null},
	"principal": {"sub": "u-1", "roles": roles, "permissions": null, "scope": null, "claims": {}},
	"request": {"method": "tools/call", "server": "fs", "name": "delete_file", "exposed": "fs_delete_file", "arguments": {}, "annotations": annotations},
	"session": {"history": [], "labels": []},
}

decide(inp, cfg) := d if {
	d := data.hatago.decision with input as inp with data.config as cfg
}

test_destructive_tool_needs_approval_for_user if {
	d := decide(call(["user"], {"destructiveHint": true}), config)
	d.allow == false
	d.code == "ERR_APPROVAL_REQUIRED"
	d.approval == {
		"reason": "tool fs_delete_file says it is destructive (destructiveHint)",
		"approvers": [],
		"timeout_s": 300,
		"rules": ["approval.destructive"],
	}
	d.reasons == [{"rule": "approval.destructive", "message": "tool fs_delete_file says it is destructive (destructiveHint)"}]
	is_array(d.rate_limits)
}

test_admin_needs_no_approval if decide(call(["admin"], {"destructiveHint": true}), config).allow == true

test_hint_false_or_missing_needs_none if {
	decide(call(["user"], {"destructiveHint": false}), config).allow == true
	decide(call(["user"], null), config).allow == true
	decide(call(["user"], {"readOnlyHint": false}), config).allow == true
}

test_a_denied_call_is_denied_not_held if {
	d := decide(call(["readonly"], {"destructiveHint": true}), config)
	d.code == "ERR_PERMISSION_DENIED"
	not d.approval
}

test_operator_rule_replaces_bundle_rule if {
	cfg := object.union(config, {"approval": {"destructive": {"roles": ["*"], "approvers": ["admin"], "timeout_s": 30}}})
	d := decide(call(["admin"], {"destructiveHint": true}), cfg)
	d.approval.approvers == ["admin"]
	d.approval.timeout_s == 30
}

test_operator_switches_it_off if {
	cfg := object.union(config, {"approval": {"destructive": false}})
	decide(call(["user"], {"destructiveHint": true}), cfg).allow == true
}

test_several_requests_merge if {
	cfg := object.union(config, {
		"approval": {"destructive": {"roles": ["user"], "approvers": ["admin"], "timeout_s": 120}},
		"flows": {"labels": {"fs:delete_*": ["public_write"]}, "rules": [{"id": "r", "after": "private_read", "then": "public_write", "outcome": "approval", "reason": "flow", "approvers": ["security"], "timeout_s": 60}]},
	})
	inp := object.union(call(["user"], {"destructiveHint": true}), {"session": {"labels": ["private_read"]}})
	d := decide(inp, cfg)
	d.approval.approvers == ["admin", "security"]
	d.approval.timeout_s == 60
	d.approval.rules == ["approval.destructive", "flows.r"]
	d.approval.reason == "flow; tool fs_delete_file says it is destructive (destructiveHint)"
}

# --- who may decide -------------------------------------------------------

decide_input(roles, approval) := {
	"contract": 2,
	"stage": "request",
	"transport": "http",
	"now_ns": 0,
	"client": {"ip": "127.0.0.1", "socket_ip": "127.0.0.1", "forwarded_for": [], "origin": null},
	"principal": {"sub": "ops", "roles": roles, "permissions": null, "scope": null, "claims": {}},
	"request": {"method": "admin/approvals/decide", "server": null, "name": null, "exposed": null, "arguments": null, "approval": approval},
}

test_admin_may_decide_caller_approvals if decide(decide_input(["admin"], {"approvers": [], "requested_by": "u-1"}), config).allow == true

test_named_approvers_only if {
	d := decide(decide_input(["admin"], {"approvers": ["security"], "requested_by": "u-1"}), config)
	d.allow == false
	[r.rule | some r in d.reasons] == ["approval.not_an_approver"]
	cfg := object.union(config, {"authorization": {"roles": {"security": {"permissions": ["admin:approvals:*"]}}}})
	decide(decide_input(["security"], {"approvers": ["security"], "requested_by": "u-1"}), cfg).allow == true
}

test_deciding_needs_the_permission if {
	d := decide(decide_input(["user"], {"approvers": [], "requested_by": "u-1"}), config)
	d.allow == false
	[r.rule | some r in d.reasons] == ["rbac.missing_permission"]
}

test_deciding_without_an_approval_fails_closed if {
	d := decide(object.remove(decide_input(["admin"], {}), ["request"]), config)
	d.allow == false
	inp := json.patch(decide_input(["admin"], {}), [{"op": "remove", "path": "/request/approval"}])
	d2 := decide(inp, config)
	[r.rule | some r in d2.reasons] == ["approval.unknown"]
}

test_listing_needs_read if {
	inp := json.patch(decide_input(["admin"], {}), [{"op": "replace", "path": "/request/method", "value": "admin/approvals"}])
	decide(inp, config).allow == true
	inp2 := json.patch(decide_input(["user"], {}), [{"op": "replace", "path": "/request/method", "value": "admin/approvals"}])
	decide(inp2, config).allow == false
}

test_authorization_off_still_needs_an_approvals_grant if {
	off := object.union(config, {"authorization": {"enabled": false}})
	d := decide(decide_input(["user"], {"approvers": [], "requested_by": "ops"}), off)
	d.allow == false
	[r.rule | some r in d.reasons] == ["approval.admin_required"]
	d.reasons[0].message == "admin/approvals/decide needs a role granting admin:approvals:write, authorization on or off"
	decide(decide_input(["admin"], {"approvers": [], "requested_by": "u-1"}), off).allow == true
}

test_wildcard_role_holds_everyone if {
	cfg := object.union(config, {"authorization": {"enabled": false}, "approval": {"destructive": {"roles": ["*"]}}})
	d := decide(call(["no-such-role"], {"destructiveHint": true}), cfg)
	d.code == "ERR_APPROVAL_REQUIRED"
}
