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
