package hatago_test

# The entrypoint with validation rules: ERR_VALIDATION_FAILED naming the
# rule when validation is all that denies, ERR_PERMISSION_DENIED otherwise.

validation_config := {"authentication": {"enabled": true}, "authorization": {"enabled": true}, "validation": {"maxArgumentBytes": 10}}

validation_base := {
	"contract": 2,
	"stage": "request",
	"transport": "http",
	"now_ns": 0,
	"client": {"ip": "127.0.0.1", "socket_ip": "127.0.0.1", "forwarded_for": [], "origin": null},
	"principal": {"sub": "u-1", "roles": ["user"], "permissions": null, "scope": null, "claims": {}},
	"request": {"method": "tools/call", "server": "filesystem", "name": "read_file", "exposed": "filesystem_read_file", "arguments": {"path": "/a"}, "arguments_size": 10},
}

decide_validation(patch) := d if {
	d := data.hatago.decision with input as object.union(validation_base, patch) with data.config as validation_config
}

test_within_limits_is_allowed if {
	d := decide_validation({})
	d.allow == true
	count(d.reasons) == 0
}

test_violation_denies_with_validation_code_and_rule if {
	d := decide_validation({"request": {"arguments": {"path": "/a/../b"}}})
	d.allow == false
	d.code == "ERR_VALIDATION_FAILED"
	[r.rule | some r in d.reasons] == ["validation.forbidden_pattern"]
}

test_every_violation_is_a_reason if {
	d := decide_validation({"request": {"arguments": {"path": "/a/../b"}, "arguments_size": 11}})
	d.code == "ERR_VALIDATION_FAILED"
	{r.rule | some r in d.reasons} == {"validation.forbidden_pattern", "validation.argument_size"}
}

test_rbac_denial_wins_the_code if {
	d := decide_validation({"principal": {"roles": ["readonly"]}, "request": {"arguments_size": 11}})
	d.code == "ERR_PERMISSION_DENIED"
	{r.rule | some r in d.reasons} == {"rbac.missing_permission", "validation.argument_size"}
}

test_validation_applies_with_authorization_disabled if {
	d := data.hatago.decision with input as object.union(validation_base, {"request": {"arguments_size": 11}})
		with data.config as object.union(validation_config, {"authorization": {"enabled": false}})
	d.code == "ERR_VALIDATION_FAILED"
}
