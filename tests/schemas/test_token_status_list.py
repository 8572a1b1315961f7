"""IETF Token Status List codec against draft-20's vectors (JSON, CBOR, JWT, CWT) and properties."""

from __future__ import annotations

import base64
import json
import tracemalloc
import zlib
from pathlib import Path
from typing import Any

import jwt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas import token_status_list as tsl

VECTORS = Path(__file__).resolve().parents[2].parent / "shared" / "vectors"
TSL_VECTORS = VECTORS / "ietf-token-status-list"
SMALL = ["tsl_1bit_small.json", "tsl_2bit_small.json"]
LONG = ["tsl_1bit_2pow20.json", "tsl_2bit_2pow20.json", "tsl_4bit_2pow20.json"]
LONG += ["tsl_8bit_2pow20.json"]
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((TSL_VECTORS / name).read_text("utf-8"))
    return data


def _cbor(data: bytes) -> Any:
    """Just enough CBOR (RFC 8949, definite lengths) to read the draft's examples."""

    def item(at: int) -> tuple[Any, int]:
        major, info = data[at] >> 5, data[at] & 0x1F
        at += 1
        if info < 24:
            arg = info
        else:
            width = 1 << (info - 24)
            arg, at = int.from_bytes(data[at : at + width], "big"), at + width
        if major == 0:
            return arg, at
        if major == 1:
            return -1 - arg, at
        if major in (2, 3):
            raw = data[at : at + arg]
            return (raw if major == 2 else raw.decode("utf-8")), at + arg
        if major == 4:
            values = []
            for _ in range(arg):
                value, at = item(at)
                values.append(value)
            return values, at
        if major == 5:
            mapping = {}
            for _ in range(arg):
                key, at = item(at)
                mapping[key], at = item(at)
            return mapping, at
        if major == 6:
            value, at = item(at)
            return ("tag", arg, value), at
        raise AssertionError(f"CBOR major type {major} not needed here")

    value, end = item(0)
    assert end == len(data)
    return value


def _statuses(lst: bytes, bits: int) -> dict[int, int]:
    """Every non-zero entry, found by scanning only the non-zero bytes."""
    per_byte = 8 // bits
    return {
        idx: status
        for byte_index, byte in enumerate(lst)
        if byte
        for idx in range(byte_index * per_byte, (byte_index + 1) * per_byte)
        if (status := tsl.get_status(lst, idx, bits))
    }


def _reference_status(lst: bytes | bytearray, idx: int, bits: int) -> int:
    """The draft's packing taken literally: bit k of the list is bit k % 8 of byte k // 8."""
    return sum(
        ((lst[(idx * bits + j) // 8] >> ((idx * bits + j) % 8)) & 1) << j for j in range(bits)
    )


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


# --- official vectors ---------------------------------------------------------------------


@pytest.mark.parametrize("name", SMALL)
def test_small_examples(name: str) -> None:
    vector = _load(name)
    bits = vector["status_list_json"]["bits"]
    raw = bytes.fromhex(vector["uncompressed_bytes_hex"])
    assert tsl.decode_status_list(vector["status_list_json"]) == (bits, raw)
    assert tsl.decompress_lst(bytes.fromhex(vector["compressed_bytes_hex"])) == raw
    expected = vector["expected_statuses_by_index"]
    assert tsl.entry_count(raw, bits) == len(expected)
    assert [tsl.get_status(raw, idx, bits) for idx in range(len(expected))] == expected
    cbor = _cbor(bytes.fromhex(vector["status_list_cbor_hex"]))
    assert cbor["bits"] == bits
    assert tsl.decompress_lst(cbor["lst"]) == raw
    rebuilt = tsl.new_status_list(len(expected), bits)
    for idx, status in enumerate(expected):
        tsl.set_status(rebuilt, idx, status, bits)
    assert rebuilt == raw
    assert tsl.decode_status_list(tsl.encode_status_list(rebuilt, bits)) == (bits, raw)


@pytest.mark.parametrize("name", LONG)
def test_2pow20_vectors(name: str) -> None:
    vector = _load(name)
    bits, lst = tsl.decode_status_list(vector["status_list_json"])
    assert len(lst) == vector["decompressed_byte_length"]
    assert tsl.entry_count(lst, bits) == vector["num_entries"] == 2**20
    expected = {int(idx): status for idx, status in vector["expected_statuses"].items()}
    for idx, status in expected.items():
        assert tsl.get_status(lst, idx, bits) == status
    nonzero = _statuses(lst, bits)
    assert len(nonzero) == vector["expected_nonzero_count"]
    assert nonzero == {idx: status for idx, status in expected.items() if status}
    cbor = _cbor(bytes.fromhex(vector["status_list_cbor_hex"]))
    assert cbor["bits"] == bits
    assert tsl.decompress_lst(cbor["lst"]) == lst
    with pytest.raises(tsl.TokenStatusListIndexError):
        tsl.get_status(lst, 2**20, bits)


def test_status_list_token_jwt() -> None:
    """The §8.2 Status List Token: signature verifies, its status_list is the 1-bit example."""
    token = (TSL_VECTORS / "status_list_token.jwt").read_text("ascii").strip()
    jwk = {k: v for k, v in _load("example_signing_key_jwk.json").items() if k != "d"}
    assert jwt.get_unverified_header(token)["typ"] == "statuslist+jwt"
    claims = jwt.decode(
        token, jwt.PyJWK(jwk).key, algorithms=["ES256"], options={"verify_exp": False}
    )
    bits, lst = tsl.decode_status_list(claims["status_list"])
    expected = _load("tsl_1bit_small.json")["expected_statuses_by_index"]
    assert [tsl.get_status(lst, idx, bits) for idx in range(tsl.entry_count(lst, bits))] == expected


def _cwt_claims(name: str) -> dict[Any, Any]:
    tag, number, sign1 = _cbor(bytes.fromhex((TSL_VECTORS / name).read_text("ascii").strip()))
    assert (tag, number) == ("tag", 18)  # COSE_Sign1, not CWT-tagged
    protected, _unprotected, payload, _signature = sign1
    assert _cbor(protected)[1] == -7  # ES256
    claims: dict[Any, Any] = _cbor(payload)
    return claims


def test_status_list_token_cwt_and_referenced_token_cwt() -> None:
    """§5.2 and §6.3 together: the referenced token's idx 0 in that list is INVALID."""
    status_list_claims = _cwt_claims("status_list_token_cwt.hex")
    status_list = status_list_claims[65533]
    lst = tsl.decompress_lst(status_list["lst"])
    assert lst == bytes.fromhex(_load("tsl_1bit_small.json")["uncompressed_bytes_hex"])
    reference = _cwt_claims("referenced_token_cwt.hex")[65535]["status_list"]
    assert reference["uri"] == status_list_claims[2]  # sub of the list == uri in the token
    assert tsl.get_status(lst, reference["idx"], status_list["bits"]) == tsl.INVALID


# --- decoding: errors and the size cap ----------------------------------------------------

GOOD = tsl.encode_lst(bytes(16))


@pytest.mark.parametrize(
    "lst",
    [
        "",
        "u" + GOOD,  # no multibase prefix in the IETF format
        GOOD + "=",
        GOOD[:-1] + "/",
        GOOD[:3] + "\n" + GOOD[3:],
        "A",
        _b64url(b"\x1f\x8b" + zlib.compress(bytes(16))[2:]),  # not a ZLIB header
        _b64url(zlib.compress(bytes(16))[:-2]),  # truncated Adler-32
        _b64url(zlib.compress(bytes(16))[:-1] + b"\0"),  # wrong Adler-32
        _b64url(zlib.compress(bytes(16)) + b"\0"),
        _b64url(zlib.compress(bytes(16), wbits=-15)),  # raw DEFLATE, no wrapper
    ],
)
def test_malformed_lst_is_a_decode_error(lst: str) -> None:
    with pytest.raises(tsl.TokenStatusListDecodeError):
        tsl.decode_lst(lst)


@pytest.mark.parametrize(
    "status_list",
    [{}, {"bits": 3, "lst": GOOD}, {"bits": True, "lst": GOOD}, {"bits": "1", "lst": GOOD}],
)
def test_malformed_status_list_object(status_list: dict[str, object]) -> None:
    with pytest.raises(tsl.TokenStatusListDecodeError):
        tsl.decode_status_list(status_list)


def test_size_cap_is_exact() -> None:
    lst = tsl.encode_lst(bytes(1000))
    assert len(tsl.decode_lst(lst, max_bytes=1000)) == 1000
    with pytest.raises(tsl.TokenStatusListTooLargeError):
        tsl.decode_lst(lst, max_bytes=999)
    with pytest.raises(tsl.TokenStatusListValueError):
        tsl.decode_lst(lst, max_bytes=-1)


def test_zlib_bomb_is_refused_without_inflating_it() -> None:
    bomb = _b64url(zlib.compress(bytes(32 * 1024 * 1024), 9))  # about 32 KB
    tracemalloc.start()
    try:
        with pytest.raises(tsl.TokenStatusListTooLargeError):
            tsl.decode_lst(bomb, max_bytes=64 * 1024)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1024 * 1024, f"peak {peak} bytes: the bomb was inflated"


# --- get/set and bits ---------------------------------------------------------------------


def test_status_values_and_bits() -> None:
    assert (tsl.VALID, tsl.INVALID, tsl.SUSPENDED) == (0, 1, 2)
    one_bit = tsl.new_status_list(8, 1)
    with pytest.raises(tsl.TokenStatusListValueError):  # SUSPENDED needs bits >= 2
        tsl.set_status(one_bit, 0, tsl.SUSPENDED, 1)
    for bits in (0, 3, 16, True):
        with pytest.raises(tsl.TokenStatusListValueError):
            tsl.new_status_list(8, bits)
    assert [len(tsl.new_status_list(9, bits)) for bits in (1, 2, 4, 8)] == [2, 3, 5, 9]


def test_index_out_of_range_raises_never_wraps() -> None:
    lst = tsl.new_status_list(8, 2)
    for idx in (-1, 8, 10**30):
        with pytest.raises(tsl.TokenStatusListIndexError):
            tsl.get_status(lst, idx, 2)
        with pytest.raises(IndexError):
            tsl.set_status(lst, idx, tsl.INVALID, 2)
    assert lst == bytes(2)


# --- properties ---------------------------------------------------------------------------


@given(st.binary(max_size=4096))
def test_encode_decode_round_trip(lst: bytes) -> None:
    assert tsl.decode_lst(tsl.encode_lst(lst)) == lst
    assert tsl.decompress_lst(tsl.compress_lst(lst)) == lst


@st.composite
def _lists(draw: st.DrawFn) -> tuple[bytearray, int, int]:
    """A random non-empty byte array, a ``bits`` value and a valid ``idx``."""
    bits = draw(st.sampled_from(sorted(tsl.ALLOWED_BITS)))
    lst = bytearray(draw(st.binary(min_size=1, max_size=64)))
    return lst, bits, draw(st.integers(0, tsl.entry_count(lst, bits) - 1))


@given(_lists(), st.data())
def test_set_then_get_matches_the_lsb_first_model(
    case: tuple[bytearray, int, int], data: st.DataObject
) -> None:
    lst, bits, idx = case
    assert tsl.get_status(lst, idx, bits) == _reference_status(lst, idx, bits)
    value = data.draw(st.integers(0, (1 << bits) - 1))
    tsl.set_status(lst, idx, value, bits)
    assert tsl.get_status(lst, idx, bits) == value == _reference_status(lst, idx, bits)


@given(_lists(), st.data())
def test_setting_one_index_never_changes_another(
    case: tuple[bytearray, int, int], data: st.DataObject
) -> None:
    lst, bits, idx = case
    before = bytes(lst)
    tsl.set_status(lst, idx, data.draw(st.integers(0, (1 << bits) - 1)), bits)
    for other in range(tsl.entry_count(lst, bits)):
        if other != idx:
            assert tsl.get_status(lst, other, bits) == tsl.get_status(before, other, bits)


@given(_lists(), st.integers())
def test_out_of_range_index_raises(case: tuple[bytearray, int, int], idx: int) -> None:
    lst, bits, _ = case
    if 0 <= idx < tsl.entry_count(lst, bits):
        return
    with pytest.raises(tsl.TokenStatusListIndexError):
        tsl.get_status(lst, idx, bits)
    with pytest.raises(tsl.TokenStatusListIndexError):
        tsl.set_status(lst, idx, 0, bits)


def _mutations() -> st.SearchStrategy[str]:
    valid = zlib.compress(bytes(range(64)))
    flipped = st.tuples(st.integers(0, len(valid) - 1), st.integers(1, 255)).map(
        lambda flip: valid[: flip[0]] + bytes([valid[flip[0]] ^ flip[1]]) + valid[flip[0] + 1 :]
    )
    return st.one_of(
        st.text(),
        st.text(alphabet=ALPHABET),
        st.binary().map(_b64url),
        flipped.map(_b64url),
        st.integers(0, len(valid)).map(lambda cut: _b64url(valid[:cut])),
    )


@given(_mutations(), st.integers(0, 256))
def test_malformed_lst_raises_only_typed_errors(lst: str, max_bytes: int) -> None:
    try:
        decoded = tsl.decode_lst(lst, max_bytes=max_bytes)
    except tsl.TokenStatusListDecodeError:
        return
    assert len(decoded) <= max_bytes


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=5,
)


@given(st.dictionaries(st.sampled_from(["bits", "lst", "aggregation_uri"]), _json | _mutations()))
def test_malformed_status_list_raises_only_typed_errors(status_list: dict[str, object]) -> None:
    try:
        bits, lst = tsl.decode_status_list(status_list)
    except tsl.TokenStatusListError:
        return
    assert bits in tsl.ALLOWED_BITS
    assert isinstance(lst, bytes)
