# METADATA
# title: Session flow rules ("toxic flows")
# description: |
#   Data attaches labels to tools (private_read, public_write,
#   untrusted_input, ...): data.hatago.flowLabels, overlaid per key by the
#   operator's data.config.flows.labels; a key is "server:tool" where either
#   part may be "*" or a prefix*suffix pattern. The runtime records each
#   admitted tools/call with the labels this package named (decision output
#   flow_labels) and passes what the session did before as input.session:
#   {history: [{server, tool, labels, at_ns}], labels: [every label seen]}.
#   A rule {id, after, then, outcome, reason} fires on a call labelled `then`
#   in a session that has seen `after`: outcome "approval" asks for approval
#   (package hatago.approval), anything else denies. See docs/flows.md.
package hatago.flows

import data.hatago.lib
import data.hatago.rbac

# --- labels -----------------------------------------------------------------

default bundle_labels := {}

bundle_labels := data.hatago.flowLabels if is_object(data.hatago.flowLabels)

default config_labels := {}

config_labels := data.config.flows.labels if is_object(data.config.flows.labels)

# The operator's key replaces the bundle's key of the same name, whole.
label_map := object.union(bundle_labels, config_labels)

key_matches(key) if {
	i := indexof(key, ":")
	i > 0
	server_matches(substring(key, 0, i))
	rbac.pattern_match(substring(key, i + 1, -1), input.request.name)
}

server_matches(s) if s == "*"

else if s == input.request.server

else if rbac.pattern_match(s, input.request.server)

# The labels of this tools/call, sorted.
default labels := []

labels := sort({l |
	input.request.method == "tools/call"
	is_string(input.request.name)
	is_string(input.request.server)
	some key, ls in label_map
	is_array(ls)
	key_matches(key)
	some l in ls
	is_string(l)
}) if {
	input.request.method == "tools/call"
}

label_set := {l | some l in labels}

# --- what the session saw ---------------------------------------------------

default seen := set()

seen := {l | some l in input.session.labels; is_string(l)} if is_array(input.session.labels)

# --- rules ------------------------------------------------------------------

default rules := []

rules := data.config.flows.rules if is_array(data.config.flows.rules)

else := data.hatago.flowRules if is_array(data.hatago.flowRules)

fired contains r if {
	some r in rules
	is_string(r.id)
	seen[r.after]
	label_set[r.then]
}

reason_of(r) := r.reason if is_string(r.reason)

else := lib.msg(["a ", r.then, " call after a ", r.after, " in this session"])

default approvers_of(_) := []

approvers_of(r) := [a | some a in r.approvers; is_string(a)] if is_array(r.approvers)

default timeout_of(_) := 300

timeout_of(r) := r.timeout_s if is_number(r.timeout_s)

# Rules whose outcome is "approval": requests for package hatago.approval.
approval_requests contains {
	"rule": concat("", ["flows.", r.id]),
	"reason": reason_of(r),
	"approvers": approvers_of(r),
	"timeout_s": timeout_of(r),
} if {
	some r in fired
	r.outcome == "approval"
}

# Any other outcome denies (a misspelt outcome fails closed).
deny contains {"rule": concat("", ["flows.", r.id]), "message": reason_of(r)} if {
	some r in fired
	not r.outcome == "approval"
}
