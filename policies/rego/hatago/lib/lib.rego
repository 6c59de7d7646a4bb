# METADATA
# title: Helpers shared by the hatago packages
# description: |
#   msg builds reason messages. opa-wasm's sprintf is a JavaScript sprintf
#   that knows neither %v nor %q, so messages are concatenated instead:
#   strings as they are, anything else as JSON.
package hatago.lib

show(x) := x if is_string(x)

else := json.marshal(x)

msg(parts) := concat("", [show(p) | some p in parts])

# The policy contract this bundle speaks (docs/policy-contract.md); data.json
# declares it too (hatago.contract), so the runtime sends inputs of this version.
contract := 2

# The deny every stage adds when the input speaks another contract version.
contract_reason := {"rule": "hatago.contract", "message": msg(["input.contract is ", object.get(input, "contract", null), "; this policy speaks contract ", contract])}
