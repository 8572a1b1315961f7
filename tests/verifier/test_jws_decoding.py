"""The JWS decoders' fast paths accept exactly what the strict ones accept.

``verifier.jws`` reads a payload with ``orjson`` when the text is exactly ``orjson``'s own
compact serialization of what it reads, and with the standard library's strict decoder
otherwise; base64url goes through ``pybase64``. These tests hold both paths to the rules of
the strict one: the same values, and the same refusals (duplicate members, non-JSON
constants, byte order marks, non-canonical base64url) in texts shaped like the fast path's.
"""

from __future__ import annotations

import base64
import json
import math
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from issuer.credentials.signing import b64url
from verifier import jws
from verifier.errors import ParsingError

_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=20,
)
_objects = st.dictionaries(st.text(max_size=6), _values, max_size=5)


def _compact(value: Any) -> bytes:
    """Compact JSON as certreg's issuer writes it; for most values also ``orjson``'s form."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


_HEADER = _b64(b'{"alg":"ES256","kid":"k"}')
_SIGNATURE = "c2ln"


def _payload(raw: bytes) -> Any:
    return jws.parse_compact(f"{_HEADER}.{_b64(raw)}.{_SIGNATURE}").payload


def _same(a: Any, b: Any) -> bool:
    """Equal values of equal JSON types (``1`` and ``1.0`` differ, as do ``0.0`` and ``-0.0``)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float):
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    return bool(a == b)


@given(_objects)
def test_every_serialization_reads_as_the_standard_decoder_reads_it(value: dict[str, Any]) -> None:
    texts = [
        _compact(value),  # certreg's form, and mostly the fast path's
        json.dumps(value).encode(),  # spaces and \\u escapes: the strict path
        json.dumps(value, indent=2).encode(),
    ]
    for raw in texts:
        assert _same(_payload(raw), json.loads(raw)), raw


@given(_objects, st.data())
def test_a_repeated_member_is_refused_in_any_form(
    value: dict[str, Any], data: st.DataObject
) -> None:
    name = data.draw(st.text(max_size=6))
    duplicated = {**value, name: data.draw(_values)}
    compact = _compact(duplicated)[:-1]
    member = _compact({name: data.draw(_values)})[1:-1]
    for raw in (compact + b"," + member + b"}", b'{"outer":' + compact + b"," + member + b"}}"):
        with pytest.raises(ParsingError):
            _payload(raw)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a":1,"a":1}',
        b'{"a":{"b":[],"b":[]}}',
        b'{"a":[{"x":1,"y":2,"x":1}]}',
        b'{"a":NaN}',
        b'{"a":Infinity}',
        b'{"a":-Infinity}',
        b'\xef\xbb\xbf{"a":1}',
        b'{"a":"\xff"}',
        b'{"a":1}x',
        b'{"a":1',
    ],
    ids=[
        "dup",
        "nested-dup",
        "dup-in-list",
        "nan",
        "inf",
        "-inf",
        "bom",
        "not-utf8",
        "junk",
        "open",
    ],
)
def test_compact_texts_the_fast_path_would_see_are_refused(raw: bytes) -> None:
    with pytest.raises(ParsingError):
        _payload(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b'{"n":123456789012345678901234567890}', {"n": 123456789012345678901234567890}),
        (b'{"n":1E5}', {"n": 100000.0}),
        (b'{"n":-0}', {"n": 0}),
        (b'{"s":"\\u00e9\\ud83d\\ude00"}', {"s": "é\U0001f600"}),
        (b'{"s":"\\\\ud800"}', {"s": "\\ud800"}),
        (b'{"x": [1, 2]}', {"x": [1, 2]}),
    ],
    ids=[
        "big-int",
        "exponent",
        "minus-zero",
        "escapes-and-surrogate-pair",
        "escaped-backslash-not-a-surrogate",
        "spaces",
    ],
)
def test_texts_only_the_strict_decoder_reads_keep_its_answer(raw: bytes, expected: Any) -> None:
    assert _same(_payload(raw), expected)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"s":"\\ud800"}',
        b'{"s":"\\uDFFF"}',
        b'{"\\udc00":1}',
        b'{"s":["ok","\\ud83d"]}',
        b'{"s":"\\ud83d\\ud83d"}',
        b'{"s":"\\ude00\\ud83d"}',
    ],
    ids=["high", "low-upper-case", "in-a-name", "in-a-list", "two-highs", "reversed-pair"],
)
def test_lone_surrogates_are_refused(raw: bytes) -> None:
    """Regression: ``json`` reads ``"\\ud800"`` and the string cannot be written as UTF-8
    again, so a signed credential holding one made ``POST /credentials/verify`` a 500."""
    with pytest.raises(ParsingError):
        _payload(raw)


def test_nesting_is_capped_on_both_paths() -> None:
    deep = b'{"a":' * (jws.MAX_DEPTH + 1) + b"1" + b"}" * (jws.MAX_DEPTH + 1)
    assert orjson.dumps(orjson.loads(deep)) == deep  # the text is in the fast path's form
    with pytest.raises(ParsingError):
        _payload(deep)
    at_cap = b'{"a":' * jws.MAX_DEPTH + b"1" + b"}" * jws.MAX_DEPTH
    assert _payload(at_cap) == json.loads(at_cap)


@given(st.binary(max_size=300))
def test_base64url_round_trips(data: bytes) -> None:
    assert jws.b64url_decode(_b64(data)) == data


@given(st.binary(min_size=1, max_size=60), st.data())
def test_base64url_refuses_every_foreign_symbol(data: bytes, draw: st.DataObject) -> None:
    text = _b64(data)
    position = draw.draw(st.integers(min_value=0, max_value=len(text)))
    symbol = draw.draw(st.sampled_from("+/=*. \n\t\x00é~"))
    with pytest.raises(ParsingError):
        jws.b64url_decode(text[:position] + symbol + text[position:])


@given(st.binary(min_size=1, max_size=60))
def test_base64url_refuses_non_zero_trailing_bits(data: bytes) -> None:
    text = _b64(data)
    if len(text) % 4 == 0:
        return
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    # The lowest bit of the last symbol is always one of the unused ones.
    with pytest.raises(ParsingError):
        jws.b64url_decode(text[:-1] + alphabet[alphabet.index(text[-1]) | 1])


@given(st.binary(max_size=300))
def test_the_issuers_base64url_is_the_standard_one(data: bytes) -> None:
    assert b64url(data) == _b64(data)
    assert jws.b64url_decode(b64url(data)) == data
