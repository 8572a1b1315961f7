"""Certificate numbers: 80 random bits, readable, with a check symbol that catches typos."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from issuer.credentials import certificate_numbers
from schemas.certificate_numbers import ALPHABET, RANDOM_BITS, from_random_bytes

FORMAT = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}-[0-9A-HJKMNP-TV-Z]$")
numbers = st.binary(min_size=10, max_size=10).map(
    lambda b: certificate_numbers.generate(lambda n: b)
)


def test_at_least_64_random_bits() -> None:
    assert RANDOM_BITS >= 64
    seen: list[int] = []

    def entropy(n: int) -> bytes:
        seen.append(n)
        return bytes(n)

    certificate_numbers.generate(entropy)
    assert seen == [RANDOM_BITS // 8]


@given(numbers)
def test_generated_numbers_are_canonical_and_valid(number: str) -> None:
    assert FORMAT.match(number)
    assert certificate_numbers.normalize(number) == number


@given(numbers)
def test_people_may_type_them_loosely(number: str) -> None:
    typed = number.lower().replace("-", " ").replace("1", "l").replace("0", "o")
    assert certificate_numbers.normalize(typed) == number


@given(numbers, st.data())
def test_every_single_symbol_error_is_caught(number: str, data: st.DataObject) -> None:
    symbols = number.replace("-", "")
    i = data.draw(st.integers(0, len(symbols) - 1))
    other = data.draw(st.sampled_from([c for c in ALPHABET if c != symbols[i]]))
    assert not certificate_numbers.is_valid(symbols[:i] + other + symbols[i + 1 :])


@given(numbers, st.data())
def test_every_adjacent_swap_is_caught(number: str, data: st.DataObject) -> None:
    symbols = number.replace("-", "")
    i = data.draw(st.integers(0, len(symbols) - 2))
    if symbols[i] == symbols[i + 1]:
        return
    swapped = symbols[:i] + symbols[i + 1] + symbols[i] + symbols[i + 2 :]
    assert not certificate_numbers.is_valid(swapped)


@given(st.text(max_size=100))
def test_arbitrary_text_never_raises(text: str) -> None:
    result = certificate_numbers.normalize(text)
    assert result is None or FORMAT.match(result)


def _written_by_shifts(data: bytes) -> str:
    """The number as the format defines it, computed the slow, obvious way: 5 bits at a
    time from the most significant end, and the check symbol by multiplying in GF(32)."""
    value = int.from_bytes(data, "big")
    payload = "".join(ALPHABET[(value >> (5 * (15 - i))) & 31] for i in range(16))
    check = 0
    for char in payload:
        check = check << 1
        check = (check ^ 0b100101 if check & 0b100000 else check) ^ ALPHABET.index(char)
    check = check << 1
    check = check ^ 0b100101 if check & 0b100000 else check
    groups = "-".join(payload[i : i + 4] for i in range(0, 16, 4))
    return f"{groups}-{ALPHABET[check]}"


@given(st.binary(min_size=10, max_size=10))
def test_numbers_are_the_bits_in_order_with_their_check_symbol(data: bytes) -> None:
    assert from_random_bytes(data) == _written_by_shifts(data)


def test_known_numbers() -> None:
    assert from_random_bytes(bytes(10)) == "0000-0000-0000-0000-0"
    assert from_random_bytes(b"\xff" * 10) == _written_by_shifts(b"\xff" * 10)
    assert _written_by_shifts(b"\xff" * 10).startswith("ZZZZ-ZZZZ-ZZZZ-ZZZZ-")
