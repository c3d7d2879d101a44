"""The endpoint's encoder (config.views.GraphQLView.encode_json): compact UTF-8 JSON as orjson
prints it, with the two values orjson refuses printed in place."""

import json

from config.compiler import CompiledJSON
from config.schema import schema
from config.views import GraphQLView


def encode(data) -> bytes:
    return GraphQLView(schema=schema).encode_json(data)


def test_integers_beyond_64_bits_print_as_their_digits_and_the_rest_as_orjson_prints_it():
    # given: integers on either side of orjson's bounds, beside text and floats orjson and the
    # json module print differently (é escaped, 1.5e-07)
    data = {
        "data": {
            "big": [2**64, -(2**63) - 1, 2**70],
            "edges": [2**64 - 1, -(2**63)],
            "text": "é ✓",
            "small": 1.5e-7,
            "nested": ({"deep": [10**30]},),
        }
    }

    # when
    printed = encode(data)

    # then
    assert (
        printed
        == (
            '{"data":{"big":[18446744073709551616,-9223372036854775809,1180591620717411303424],'
            '"edges":[18446744073709551615,-9223372036854775808],"text":"é ✓","small":1.5e-7,'
            '"nested":[{"deep":[1000000000000000000000000000000]}]}}'
        ).encode()
    )
    assert json.loads(printed)["data"]["big"] == [2**64, -(2**63) - 1, 2**70]


def test_a_lone_surrogate_is_escaped_in_its_own_string_only():
    # given: an error quoting a refused input, beside other non-ASCII text
    data = {"errors": [{"message": "No student with code 's0\ud80001'."}], "data": {"n": "é"}}

    # when
    printed = encode(data)

    # then: valid UTF-8; the surrogate escaped, é as it is
    assert (
        printed
        == (
            '{"errors":[{"message":"No student with code \'s0\\ud80001\'."}],"data":{"n":"é"}}'
        ).encode()
    )
    assert (
        json.loads(printed.decode())["errors"][0]["message"] == "No student with code 's0\ud80001'."
    )


def test_a_compiled_answer_is_copied_beside_a_value_orjson_refuses():
    # given: a compiled answer's text (an integer beyond 64 bits inside) and a standard
    # path's integer beyond 64 bits in the same response
    compiled = CompiledJSON('{"metadata":[18446744073709551616,1.5]}')
    data = {"data": {"a": compiled, "b": 2**64}}

    # when
    printed = encode(data)

    # then: the compiled text as it is
    assert (
        printed
        == b'{"data":{"a":{"metadata":[18446744073709551616,1.5]},"b":18446744073709551616}}'
    )
    assert (
        encode({"data": {"a": compiled}})
        == b'{"data":{"a":{"metadata":[18446744073709551616,1.5]}}}'
    )
