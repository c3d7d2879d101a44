import json

import pytest

from chat.windows import loads_json

# What jsonb may hand back as text, with the values json.loads reads from it.
JSON_TEXTS = [
    "{}",
    '{"a": 1, "b": [1.5, -0.0, -0, true, null, "x"]}',
    '{"big": 123456789012345678901234567890}',
    '{"u64": 18446744073709551615, "beyond": 18446744073709551616}',
    '{"i64min": -9223372036854775808, "below": -9223372036854775809}',
    '{"digits": "a string with 12345678901234567890 in it"}',
    '{"f": 0.1, "max": 1.7976931348623157e308, "tiny": 5e-324, "e": 123.456e5}',
    '{"precise": 1.00000000000000000000000000001, "odd": 9007199254740993.0}',
    '{"overflow": 1e400, "underflow": 1e-400}',
    '{"nan": NaN}',
    '{"lone": "\\ud800", "pair": "\\ud83d\\ude00", "nul": "\\u0000"}',
    '{"a": 1, "a": 2}',
    '[{"deep": [[[{"x": "é"}]]]}]',
]


@pytest.mark.parametrize("text", JSON_TEXTS)
def test_loads_json_reads_what_json_loads_reads(text):
    # when
    value = loads_json(text)

    # then: the same values of the same types (repr tells int from float, -0.0 from 0.0)
    assert repr(value) == repr(json.loads(text))
