# METADATA
# title: Token acceptance (stage "token")
# description: |
#   Asked once per verified token (every authenticated HTTP request, and the
#   stdio token at start), before anything is authorized: does the token carry
#   every scope this resource requires (RFC 6750 insufficient_scope)? The
#   required scopes are data.config.authentication.requiredScopes: the runtime
#   passes type "oauth2"'s resolved provider.requiredScopes, [] for type "jwt".
#   Not applied when the provider could not say which scopes the token has
#   (userinfo: input.token.scopes_known false). See docs/policy-contract.md,
#   "Stage token".
package hatago.token

import data.hatago.lib

default required := []

required := data.config.authentication.requiredScopes if is_array(data.config.authentication.requiredScopes)

# The token's scopes; none when the claim is absent (input.principal.scope null).
granted contains s if {
	some s in input.principal.scope
	is_string(s)
}

# In the configured order, for a stable message.
missing := [s | some s in required; not granted[s]]

# Fail closed: only an explicit "scopes unknown" skips the check.
scopes_checked if not input.token.scopes_known == false

scope_deny contains {"rule": "token.insufficient_scope", "message": lib.msg(["insufficient_scope: missing ", concat(" ", [lib.show(s) | some s in missing])])} if {
	scopes_checked
	count(missing) > 0
}

principal_deny contains {"rule": "token.principal_required", "message": "stage token needs the verified token's principal"} if {
	not is_object(input.principal)
}

deny := scope_deny | principal_deny
