"""The registry's answers are the JSON the standard library would write for them."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from registry.answer_bytes import json_bytes as _json_bytes

_SCALARS = (
    st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**64 - 1) | st.text()
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


def _stdlib(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@given(_VALUES)
def test_the_same_bytes_as_the_standard_encoder(value: Any) -> None:
    assert _json_bytes(value) == _stdlib(value)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_a_float_is_the_same_number(number: float) -> None:
    assert json.loads(_json_bytes({"n": number})) == {"n": number}


def test_an_integer_beyond_64_bits_is_written_by_the_standard_library() -> None:
    big = {"serial": 2**70, "name": "Zoë"}
    assert (
        _json_bytes(big)
        == _stdlib(big)
        == '{"serial":1180591620717411303424,"name":"Zoë"}'.encode()
    )
