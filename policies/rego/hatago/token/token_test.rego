package hatago.token_test

import data.hatago.token

oauth2 := {"authentication": {"enabled": true, "type": "oauth2", "requiredScopes": ["mcp", "tools"]}}

token_input(scope, known) := {
	"contract": 2,
	"stage": "token",
	"transport": "http",
	"now_ns": 0,
	"client": {"ip": "127.0.0.1", "origin": null, "user_agent": null},
	"principal": {"sub": "u-1", "roles": ["user"], "permissions": null, "scope": scope, "claims": {}},
	"token": {"type": "oauth2", "scopes_known": known},
}

decide(cfg, scope, known) := d if {
	d := data.hatago.decision with input as token_input(scope, known)
		with data.config as cfg
}

test_every_required_scope_present_allows if {
	decide(oauth2, ["openid", "tools", "mcp"], true) == {"allow": true, "reasons": []}
}

test_a_missing_scope_is_insufficient_scope if {
	d := decide(oauth2, ["openid", "tools"], true)
	d == {"allow": false, "code": "ERR_INSUFFICIENT_SCOPE", "reasons": [{"rule": "token.insufficient_scope", "message": "insufficient_scope: missing mcp"}]}
}

test_no_scope_claim_misses_every_required_scope if {
	d := decide(oauth2, null, true)
	d.code == "ERR_INSUFFICIENT_SCOPE"
	d.reasons[0].message == "insufficient_scope: missing mcp tools"
}

test_unknown_scopes_skip_the_check if {
	# userinfo: the provider does not say which scopes the token has
	decide(oauth2, null, false).allow == true
}

test_scopes_known_absent_fails_closed if {
	d := data.hatago.decision with input as object.remove(token_input(null, true), ["token"])
		with data.config as oauth2
	d.code == "ERR_INSUFFICIENT_SCOPE"
}

test_nothing_required_allows if {
	decide({"authentication": {"type": "jwt", "requiredScopes": []}}, null, true).allow == true
	decide({}, null, true).allow == true
	r := token.required with data.config as {"authentication": {"requiredScopes": "mcp"}}
	r == []
}

test_no_principal_is_refused if {
	d := data.hatago.decision with input as object.union(token_input(null, true), {"principal": null})
		with data.config as {}
	d.allow == false
	d.code == "ERR_PERMISSION_DENIED"
	{r.rule | some r in d.reasons} == {"token.principal_required"}
}

test_contract_mismatch_is_not_a_step_up if {
	d := data.hatago.decision with input as object.union(token_input(["mcp", "tools"], true), {"contract": 0})
		with data.config as oauth2
	d.code == "ERR_PERMISSION_DENIED"
	{r.rule | some r in d.reasons} == {"hatago.contract"}
	e := data.hatago.decision with input as object.union(token_input([], true), {"contract": 0})
		with data.config as oauth2
	e.code == "ERR_PERMISSION_DENIED"
	{r.rule | some r in e.reasons} == {"hatago.contract", "token.insufficient_scope"}
}
