"""W3C Bitstring Status List codec against the Recommendation's vectors and properties.

The spec publishes one ``encodedList`` (all zero); the two ``derived_*`` files were built by
hand from §2.1/§3.3 and are compared as decoded bits, since GZIP output is not canonical.
"""

from __future__ import annotations

import base64
import gzip
import json
import time
import tracemalloc
import zlib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas import bitstring_status_list as bsl

VECTORS = Path(__file__).resolve().parents[2].parent / "shared" / "vectors"
BSL_VECTORS = VECTORS / "w3c-bitstring-status-list"
REC_FILES = [
    "rec_example_status_list_credential.json",
    "rec_exampleA1_revocable_vc.json",
    "rec_example1_vc_with_revocation_and_suspension_entries.json",
]
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((BSL_VECTORS / name).read_text("utf-8"))
    return data


def _reference_status(bitstring: bytes | bytearray, index: int, size: int) -> int:
    """The spec's picture taken literally: the list as a string of bits, left to right."""
    bits = "".join(f"{byte:08b}" for byte in bitstring)
    return int(bits[index * size : (index + 1) * size], 2)


def _set_bits(bitstring: bytes | bytearray) -> list[int]:
    return [
        byte_index * 8 + bit
        for byte_index, byte in enumerate(bitstring)
        if byte
        for bit in range(8)
        if byte & (0x80 >> bit)
    ]


def _gzip_url(data: bytes) -> str:
    """``u`` + base64url without padding of any bytes, GZIP or not."""
    return "u" + base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _bomb() -> str:
    """32 MiB of zeros: about 32 KB once gzipped, the shape of a decompression bomb."""
    return _gzip_url(gzip.compress(bytes(32 * 1024 * 1024), compresslevel=9, mtime=0))


# --- official vectors ---------------------------------------------------------------------


def test_rec_all_zero_encoded_list() -> None:
    vector = _load("rec_encodedList_all_zero_131072.json")
    bitstring = bsl.decode_list(vector["encodedList"])
    assert len(bitstring) == vector["decompressed_length_bytes"]
    assert len(bitstring) * 8 == vector["decompressed_length_bits"] == bsl.MIN_ENTRIES
    assert bsl.require_minimum_entries(bitstring) == bsl.MIN_ENTRIES
    assert _set_bits(bitstring) == vector["expected_set_bits"]
    assert bsl.get_status(bitstring, 94567) == vector["expected_status_at_index_94567"]
    # An empty list of the minimum size encodes to a string that decodes to the same bits.
    assert bsl.decode_list(bsl.encode_list(bsl.new_bitstring())) == bitstring


def _status_entries() -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    for name in REC_FILES:
        status = _load(name).get("credentialStatus", [])
        for entry in status if isinstance(status, list) else [status]:
            found.append((name, entry))
    return found


@pytest.mark.parametrize(("name", "entry"), _status_entries())
def test_rec_credential_status_entries(name: str, entry: dict[str, Any]) -> None:
    """Every BitstringStatusListEntry in the spec's examples resolves against a minimum list."""
    assert entry["type"] == "BitstringStatusListEntry"
    index = bsl.parse_status_list_index(entry["statusListIndex"])
    assert str(index) == entry["statusListIndex"]
    status_size = entry.get("statusSize", 1)
    bitstring = bsl.new_bitstring(status_size=status_size)
    assert bsl.get_status(bitstring, index, status_size) == 0
    bsl.set_status(bitstring, index, 1, status_size)
    assert bsl.get_status(bitstring, index, status_size) == 1
    assert _set_bits(bitstring) == [index * status_size + status_size - 1]


def test_rec_status_list_credential_says_example_a1_is_valid() -> None:
    """A.1's credential points at A.2's list at index 94567, which is 0: not revoked."""
    list_credential = _load("rec_example_status_list_credential.json")
    entry = _load("rec_exampleA1_revocable_vc.json")["credentialStatus"]
    subject = list_credential["credentialSubject"]
    assert entry["statusListCredential"] == list_credential["id"]
    assert entry["statusPurpose"] == subject["statusPurpose"] == "revocation"
    bitstring = bsl.decode_list(subject["encodedList"])
    bsl.require_minimum_entries(bitstring)
    assert bsl.get_status(bitstring, bsl.parse_status_list_index(entry["statusListIndex"])) == 0


def test_derived_msb_first_1bit() -> None:
    vector = _load("derived_msb_first_1bit.json")
    bitstring = bsl.decode_list(vector["encodedList"])
    assert bsl.entry_count(bitstring) == vector["list_length_entries"]
    assert bitstring[:2].hex() == vector["first_two_bytes_hex"]
    assert f"{bitstring[94567 // 8]:02x}" == vector["byte_at_index_94567_div_8_hex"]
    assert _set_bits(bitstring) == vector["set_indexes"]
    for index, expected in vector["expected"].items():
        assert bsl.get_status(bitstring, int(index)) == expected
    rebuilt = bsl.new_bitstring(vector["list_length_entries"])
    for index in vector["set_indexes"]:
        bsl.set_status(rebuilt, index, 1)
    assert rebuilt == bitstring
    assert bsl.decode_list(bsl.encode_list(rebuilt)) == bitstring


def test_derived_msb_first_2bit() -> None:
    vector = _load("derived_msb_first_2bit.json")
    size = vector["statusSize"]
    bitstring = bsl.decode_list(vector["encodedList"])
    assert len(bitstring) * 8 == vector["bitstring_length_bits"]
    assert bsl.require_minimum_entries(bitstring, size) == vector["list_length_entries"]
    assert bitstring[:2].hex() == vector["first_two_bytes_hex"]
    rebuilt = bsl.new_bitstring(vector["list_length_entries"], status_size=size)
    for index, expected in vector["expected"].items():
        assert bsl.get_status(bitstring, int(index), size) == expected
        bsl.set_status(rebuilt, int(index), expected, size)
    assert rebuilt == bitstring  # so "expected" names every non-zero entry


# --- decoding: errors and the size cap ----------------------------------------------------

GOOD = bsl.encode_list(bytes(16))


@pytest.mark.parametrize(
    "encoded",
    [
        "",
        GOOD[1:],  # no multibase prefix
        "z" + GOOD[1:],  # another multibase code
        "U" + GOOD[1:],  # base64url *with* padding is a different multibase code
        "u",  # empty: no GZIP member at all
        GOOD + "=",
        GOOD[:-1] + "+",
        GOOD[:5] + " " + GOOD[5:],
        GOOD[:5] + "é" + GOOD[5:],
        "uA",  # length 1 mod 4
        _gzip_url(zlib.compress(bytes(16))),  # ZLIB, not GZIP
        _gzip_url(gzip.compress(bytes(16))[:-4]),  # truncated trailer
        _gzip_url(gzip.compress(bytes(16))[:-8] + b"\0\0\0\0" + b"\x10\0\0\0"),  # bad CRC
        _gzip_url(gzip.compress(bytes(16)) + b"junk"),
    ],
)
def test_malformed_encoded_list_is_a_decode_error(encoded: str) -> None:
    with pytest.raises(bsl.StatusListDecodeError):
        bsl.decode_list(encoded)


def test_size_cap_is_exact() -> None:
    encoded = bsl.encode_list(bytes(1000))
    assert len(bsl.decode_list(encoded, max_bytes=1000)) == 1000
    with pytest.raises(bsl.StatusListTooLargeError):
        bsl.decode_list(encoded, max_bytes=999)
    with pytest.raises(bsl.StatusListValueError):
        bsl.decode_list(encoded, max_bytes=-1)


def test_gzip_bomb_is_refused_without_inflating_it() -> None:
    bomb = _bomb()
    tracemalloc.start()
    try:
        with pytest.raises(bsl.StatusListTooLargeError):
            bsl.decode_list(bomb, max_bytes=64 * 1024)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1024 * 1024, f"peak {peak} bytes: the bomb was inflated"


# --- get/set, sizes and indexes -----------------------------------------------------------


def test_index_out_of_range_raises_never_wraps() -> None:
    bitstring = bsl.new_bitstring(16, min_entries=0)
    for index in (-1, 16, 17, 10**30):
        with pytest.raises(bsl.StatusListIndexError):
            bsl.get_status(bitstring, index)
        with pytest.raises(IndexError):
            bsl.set_status(bitstring, index, 1)
    assert bitstring == bytes(2)
    with pytest.raises(bsl.StatusListIndexError):  # 16 bits hold five 3-bit entries, not six
        bsl.get_status(bitstring, 5, 3)
    assert bsl.get_status(bitstring, 4, 3) == 0


def test_values_and_sizes_are_checked() -> None:
    bitstring = bsl.new_bitstring(8, min_entries=0)
    for value, size in ((2, 1), (-1, 1), (4, 2)):
        with pytest.raises(bsl.StatusListValueError):
            bsl.set_status(bitstring, 0, value, size)
    for size in (0, -1):
        with pytest.raises(bsl.StatusListValueError):
            bsl.get_status(bitstring, 0, size)
    assert bitstring == bytes(1)


def test_minimum_length() -> None:
    assert len(bsl.new_bitstring()) == 16 * 1024
    assert len(bsl.new_bitstring(status_size=2)) == 32 * 1024
    with pytest.raises(bsl.StatusListLengthError):
        bsl.new_bitstring(bsl.MIN_ENTRIES - 1)
    with pytest.raises(bsl.StatusListLengthError):  # 16 KB holds only 65,536 two-bit entries
        bsl.require_minimum_entries(bytes(16 * 1024), 2)
    assert len(bsl.new_bitstring(10, status_size=3, min_entries=10)) == 4
    assert bsl.StatusListLengthError.code == "STATUS_LIST_LENGTH_ERROR"
    assert bsl.StatusListIndexError.code == "RANGE_ERROR"


@pytest.mark.parametrize(
    "text", ["", "-1", "+1", " 1", "1 ", "1.0", "1_000", "0x10", "٣", "１", "1e3"]
)
def test_status_list_index_must_be_ascii_digits(text: str) -> None:
    with pytest.raises(bsl.StatusListValueError):
        bsl.parse_status_list_index(text)


def test_status_list_index_parsing() -> None:
    assert bsl.parse_status_list_index("94567") == 94567
    assert bsl.parse_status_list_index("0") == 0
    assert bsl.parse_status_list_index("0" * 5000 + "7") == 7
    with pytest.raises(bsl.StatusListIndexError):
        bsl.parse_status_list_index("9" * 5000)


def test_build_and_encode_minimum_list_is_fast() -> None:
    """Loose guard on the target (well under 5 ms): best of 10 must stay under 25 ms."""
    best = float("inf")
    for _ in range(10):
        start = time.perf_counter()
        bitstring = bsl.new_bitstring()
        for index in range(0, bsl.MIN_ENTRIES, 997):
            bsl.set_status(bitstring, index, 1)
        bsl.encode_list(bitstring)
        best = min(best, time.perf_counter() - start)
    assert best < 0.025


# --- properties ---------------------------------------------------------------------------


@given(st.binary(max_size=4096))
def test_encode_decode_round_trip(bitstring: bytes) -> None:
    assert bsl.decode_list(bsl.encode_list(bitstring)) == bitstring


@st.composite
def _lists(draw: st.DrawFn) -> tuple[bytearray, int, int]:
    """A random bitstring (not all zero), a statusSize and a valid statusListIndex."""
    size = draw(st.integers(1, 17))
    bitstring = bytearray(draw(st.binary(min_size=-(-size // 8), max_size=64)))
    index = draw(st.integers(0, bsl.entry_count(bitstring, size) - 1))
    return bitstring, size, index


@given(_lists(), st.data())
def test_set_then_get_matches_the_bit_string_model(
    case: tuple[bytearray, int, int], data: st.DataObject
) -> None:
    bitstring, size, index = case
    assert bsl.get_status(bitstring, index, size) == _reference_status(bitstring, index, size)
    value = data.draw(st.integers(0, (1 << size) - 1))
    bsl.set_status(bitstring, index, value, size)
    assert bsl.get_status(bitstring, index, size) == value
    assert _reference_status(bitstring, index, size) == value


@given(_lists(), st.data())
def test_setting_one_index_never_changes_another(
    case: tuple[bytearray, int, int], data: st.DataObject
) -> None:
    bitstring, size, index = case
    before = bytes(bitstring)
    bsl.set_status(bitstring, index, data.draw(st.integers(0, (1 << size) - 1)), size)
    for other in range(bsl.entry_count(bitstring, size)):
        if other != index:
            assert bsl.get_status(bitstring, other, size) == bsl.get_status(before, other, size)
    spare = len(before) * 8 - bsl.entry_count(before, size) * size  # bits past the last entry
    if spare:
        assert bitstring[-1] & ((1 << spare) - 1) == before[-1] & ((1 << spare) - 1)


@given(_lists(), st.integers())
def test_out_of_range_index_raises(case: tuple[bytearray, int, int], index: int) -> None:
    bitstring, size, _ = case
    if 0 <= index < bsl.entry_count(bitstring, size):
        return
    with pytest.raises(bsl.StatusListIndexError):
        bsl.get_status(bitstring, index, size)
    with pytest.raises(bsl.StatusListIndexError):
        bsl.set_status(bitstring, index, 0, size)


@given(st.binary(min_size=1, max_size=64), st.integers(1, 3), st.data())
def test_set_statuses_is_set_status_in_order(start: bytes, size: int, data: st.DataObject) -> None:
    """Setting many entries at once (a list's rebuild) writes exactly what setting them one
    by one writes, and refuses what that refuses, at the same entry (indexes out of range
    and values too large included)."""
    count = bsl.entry_count(start, size)
    pairs = data.draw(
        st.lists(
            st.tuples(st.integers(-2, count + 2), st.integers(0, (1 << size) + 1)), max_size=40
        )
    )
    one_by_one, at_once = bytearray(start), bytearray(start)
    expected: type[Exception] | None = None
    for index, value in pairs:
        try:
            bsl.set_status(one_by_one, index, value, size)
        except bsl.StatusListError as exc:
            expected = type(exc)
            break
    if expected is None:
        bsl.set_statuses(at_once, pairs, size)
    else:
        with pytest.raises(expected):
            bsl.set_statuses(at_once, pairs, size)
    assert at_once == one_by_one


def _mutations() -> st.SearchStrategy[str]:
    valid = gzip.compress(bytes(range(64)), mtime=0)
    flipped = st.tuples(st.integers(0, len(valid) - 1), st.integers(1, 255)).map(
        lambda flip: valid[: flip[0]] + bytes([valid[flip[0]] ^ flip[1]]) + valid[flip[0] + 1 :]
    )
    return st.one_of(
        st.text(),
        st.text(alphabet=ALPHABET).map(lambda text: "u" + text),
        st.binary().map(_gzip_url),
        flipped.map(_gzip_url),
        st.integers(0, len(valid)).map(lambda cut: _gzip_url(valid[:cut])),
    )


@given(_mutations(), st.integers(0, 256))
def test_malformed_input_raises_only_typed_errors(encoded: str, max_bytes: int) -> None:
    try:
        bitstring = bsl.decode_list(encoded, max_bytes=max_bytes)
    except bsl.StatusListDecodeError:
        return
    assert len(bitstring) <= max_bytes
