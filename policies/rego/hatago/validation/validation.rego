# METADATA
# title: Validation rules (declarative limits on MCP requests)
# description: |
#   Limits a request must respect whoever sends it, at stage "request".
#   Each violation is {"rule", "message"}; the entrypoint denies with
#   ERR_VALIDATION_FAILED when any exists. Operator data lives in
#   data.config.validation (security.validation): maxToolNameLength,
#   maxArgumentBytes (a number, or by server with "*"), forbiddenPatterns
#   (by server: [{name, pattern, fields}]). See docs/validation.md.
package hatago.validation

import data.hatago.lib

default_max_tool_name_length := 100

default_max_argument_bytes := 1048576

# Shipped default: a filesystem server never receives a ".." path segment.
# An operator entry for a server replaces its default list, whole.
default_forbidden_patterns := {"filesystem": [{"name": "path_traversal", "pattern": `(^|[/\\])\.\.([/\\]|$)`, "literal": ".."}]}

default config := {}

config := data.config.validation if is_object(data.config.validation)

request := input.request if input.stage == "request"

named_methods := {"tools/call", "prompts/get"}

# --- tool name length -------------------------------------------------------

max_tool_name_length := n if {
	n := config.maxToolNameLength
	is_number(n)
} else := default_max_tool_name_length

violations contains {"rule": "validation.tool_name_length", "message": lib.msg([request.method, " name has ", count(request.exposed), " characters; at most ", max_tool_name_length, " allowed"])} if {
	named_methods[request.method]
	is_string(request.exposed)
	count(request.exposed) > max_tool_name_length
}

# --- argument size ----------------------------------------------------------

max_argument_bytes(server) := config.maxArgumentBytes if is_number(config.maxArgumentBytes)

else := n if {
	n := config.maxArgumentBytes[server]
	is_number(n)
} else := n if {
	n := config.maxArgumentBytes["*"]
	is_number(n)
} else := default_max_argument_bytes

violations contains {"rule": "validation.argument_size", "message": lib.msg(["arguments are ", request.arguments_size, " bytes; at most ", limit, " allowed for server ", request.server])} if {
	is_number(request.arguments_size)
	limit := max_argument_bytes(request.server)
	request.arguments_size > limit
}

# --- forbidden patterns -----------------------------------------------------

patterns_for(server) := config.forbiddenPatterns[server] if is_array(config.forbiddenPatterns[server])

else := default_forbidden_patterns[server]

# What the request carries upstream: input.request.params (contract v1,
# additive) when the runtime sends it, else only the arguments (older runtimes).
carried := request.params if is_object(request.params)

else := {"arguments": request.arguments} if is_object(request.arguments)

# A string value anywhere in the params, with its path from params.
carried_strings contains [path, value] if {
	walk(carried, [path, value])
	is_string(value)
	count(path) > 0
}

# field(path): the top-level argument a string sits under (tools/call and
# prompts/get arguments), else the params path joined with "." (e.g. "uri",
# "argument.value", "ref.uri").
argument_path(path) if {
	count(path) > 1
	path[0] == "arguments"
}

field(path) := path[1] if argument_path(path)

else := concat(".", [lib.show(p) | some p in path])

what(path) := "argument" if argument_path(path)

else := "parameter"

# Without `fields`, every string is checked.
has_fields(entry) if is_array(entry.fields)

checked_field(entry, _) if not has_fields(entry)

checked_field(entry, path) if {
	has_fields(entry)
	field(path) in entry.fields
}

violations contains {"rule": "validation.forbidden_pattern", "message": lib.msg([what(path), " ", field(path), " matches forbidden pattern ", object.get(entry, "name", entry.pattern), " for server ", request.server])} if {
	is_string(request.server)
	some entry in patterns_for(request.server)
	is_string(entry.pattern)
	some [path, value] in carried_strings
	may_match(entry, value)
	checked_field(entry, path)
	regex.match(entry.pattern, value)
}

# An entry's optional `literal` (a substring every match contains) is a cheap prefilter: a value without
# it cannot match, so the regex (a JavaScript call from wasm) is skipped.
may_match(entry, _) if not is_string(object.get(entry, "literal", null))

may_match(entry, value) if contains(value, entry.literal)
