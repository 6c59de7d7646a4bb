package hatago.lib_test

import data.hatago.lib

test_show_strings_as_they_are if lib.show("a b") == "a b"

test_show_others_as_json if {
	lib.show(null) == "null"
	lib.show(["x"]) == "[\"x\"]"
	lib.show(3) == "3"
}

test_msg_concatenates if lib.msg(["role ", ["user"], " lacks ", "x"]) == "role [\"user\"] lacks x"
