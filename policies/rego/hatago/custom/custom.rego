# METADATA
# title: Custom rules (extension point)
# description: |
#   Security teams add their own rules to this package, in this file or in more
#   files with `package hatago.custom`. The entrypoint consults, at both
#   stages and whether or not authorization is enabled:
#     deny    set of {"rule", "message"}: any member denies the request
#             (ERR_PERMISSION_DENIED, or ERR_NETWORK_DENIED at stage network);
#     hidden  set of exposed names: removed from list results.
#   Name rules "custom.<name>". Check input.stage when a rule is meant for one
#   stage only. See docs/policy-contract.md, "Custom rules".
package hatago.custom

import data.hatago.lib

# --- example: "server-specific" (the guide's addRule example) ---------------
#
# A principal whose token carries an `allowedServers` claim may only use those
# servers: requests to other servers are denied and their items are hidden
# from lists. Principals without the claim are not affected.

allowed_servers := {s | some s in input.principal.claims.allowedServers} if {
	is_array(input.principal.claims.allowedServers)
}

deny contains {"rule": "custom.server_specific", "message": lib.msg(["server ", s, " is not in the token's allowedServers"])} if {
	input.stage == "request"
	allowed_servers # only principals whose token carries the claim
	s := input.request.server
	s != null
	not allowed_servers[s]
}

hidden contains c.exposed if {
	input.stage == "request"
	allowed_servers
	some c in input.candidates
	not allowed_servers[c.server]
}
