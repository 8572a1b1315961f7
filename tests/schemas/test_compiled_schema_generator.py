"""The schema compiler agrees with jsonschema on every schema its subset can spell.

The schemas certreg ships exercise only some shapes of the subset; the compiler inlines
subschemas and takes shortcuts (exact key sets, lists of constant strings, counted optional
members), so arbitrary schemas of the subset are generated here, with instances built to
nearly match them, and both validators must give the same answer on each.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from schemas.compiled_schema import compile_schema

NAMES = st.sampled_from(["a", "b", "id", "type", "@context", "name", "x y"])
PATTERNS = st.sampled_from(["^[a-z]+$", "^https?://", r"^\d{2,4}$", "b", "^$"])
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-5, 5)
    | st.sampled_from([0.0, 1.0, 2.5, -1.5])
    | st.sampled_from(["", "a", "ab", "https://x", "12", "abc def"])
)
TYPES = st.sampled_from(["object", "array", "string", "boolean", "null", "number", "integer"])


def _leaf() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.booleans(),
        st.fixed_dictionaries({}, optional={"type": TYPES | st.lists(TYPES, max_size=3)}),
        st.fixed_dictionaries({"const": SCALARS | st.lists(SCALARS, max_size=2)}),
        st.fixed_dictionaries({"enum": st.lists(SCALARS, max_size=3)}),
        st.fixed_dictionaries(
            {},
            optional={
                "type": st.just("string"),
                "minLength": st.integers(0, 3),
                "maxLength": st.integers(0, 4),
                "pattern": PATTERNS,
            },
        ),
        st.fixed_dictionaries(
            {},
            optional={
                "type": st.sampled_from(["integer", "number"]),
                "minimum": st.integers(-2, 2) | st.just(0.5),
                "maximum": st.integers(-1, 3),
            },
        ),
    )


@st.composite
def _array(draw: st.DrawFn, inner: st.SearchStrategy[Any]) -> dict[str, Any]:
    constants: st.SearchStrategy[Any] = st.builds(
        dict, const=st.sampled_from(["a", "b", "https://x"])
    )
    prefix: list[Any] = draw(
        st.lists(constants, max_size=3) | st.lists(inner | constants, max_size=3)
    )
    schema: dict[str, Any] = {"prefixItems": prefix} if bool(prefix) or draw(st.booleans()) else {}
    if draw(st.booleans()):
        schema["type"] = "array"
    if draw(st.booleans()):
        schema["items"] = draw(st.one_of(st.just(False), inner))
    for keyword in ("minItems", "maxItems"):
        if draw(st.booleans()):
            schema[keyword] = draw(st.sampled_from([len(prefix), 0, 1, 2, 3]))
    return schema


@st.composite
def _object(draw: st.DrawFn, inner: st.SearchStrategy[Any]) -> dict[str, Any]:
    properties = draw(st.dictionaries(NAMES, inner, max_size=4))
    schema: dict[str, Any] = (
        {"properties": properties} if bool(properties) or draw(st.booleans()) else {}
    )
    if draw(st.booleans()):
        schema["type"] = "object"
    if draw(st.booleans()):
        names = sorted(properties) or ["a"]
        required = draw(st.lists(st.sampled_from(names), max_size=4))
        schema["required"] = required + draw(st.lists(NAMES, max_size=1))
    if draw(st.booleans()):
        schema["additionalProperties"] = draw(st.just(False) | st.just(True) | inner)
    return schema


def _containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return _array(inner) | _object(inner)


SCHEMAS = st.recursive(_leaf(), _containers, max_leaves=8)


def _near(schema: Any) -> st.SearchStrategy[Any]:
    """Instances close to ``schema``: mostly shaped like it, sometimes not at all."""
    if not isinstance(schema, dict):
        return SCALARS
    options: list[st.SearchStrategy[Any]] = [SCALARS]
    if "const" in schema:
        options.append(st.just(schema["const"]))
    if schema.get("enum"):
        options.append(st.sampled_from(schema["enum"]))
    if "pattern" in schema:
        options.append(st.from_regex(schema["pattern"]).filter(lambda s: len(s) < 8))
    if "prefixItems" in schema or "items" in schema:
        prefix = [_near(s) for s in schema.get("prefixItems", [])]
        rest = st.lists(_near(schema.get("items", True)), max_size=2)
        options.append(st.tuples(*prefix).flatmap(lambda p: rest.map(lambda r: [*p, *r])))
        # Shorter than the prefix: items the schema describes may be absent.
        options.append(
            st.tuples(*prefix).flatmap(lambda p: st.integers(0, len(p)).map(lambda k: list(p[:k])))
        )
    if "properties" in schema or "required" in schema:
        properties = schema.get("properties", {})
        names = set(properties) | set(schema.get("required", []))
        members = {n: _near(properties.get(n, True)) for n in names}
        options.append(
            st.fixed_dictionaries({}, optional=members).flatmap(
                lambda d: st.dictionaries(NAMES, SCALARS, max_size=1).map(
                    lambda extra: {**extra, **d}
                )
            )
        )
        options.append(st.fixed_dictionaries(members))
    return st.one_of(options)


@settings(max_examples=600, deadline=None)
@given(data=st.data(), schema=SCHEMAS)
def test_agrees_with_the_reference_on_generated_schemas(data: st.DataObject, schema: Any) -> None:
    check = compile_schema(schema)
    reference = Draft202012Validator(schema)
    for _ in range(4):
        instance = data.draw(_near(schema))
        assert check(instance) == reference.is_valid(instance), (schema, instance)


def test_deep_schemas_compile_into_several_functions() -> None:
    """Nesting past the inlining depth still compiles, and still agrees."""
    schema: Any = {"type": "string", "minLength": 1}
    instance: Any = "x"
    for _ in range(40):
        schema = {"type": "array", "prefixItems": [schema], "items": {"type": "object"}}
        instance = [instance]
    check = compile_schema(schema)
    assert check(instance)
    assert not check([*instance, 1])
    broken = instance
    for _ in range(39):
        broken = broken[0]
    broken[0] = ""
    assert not check(instance)
    assert Draft202012Validator(schema).is_valid(instance) is False


@pytest.mark.parametrize(
    ("schema", "instances"),
    [
        # minItems below the prefix: the last prefix item may be missing (it raised
        # IndexError once).
        (
            {"type": "array", "minItems": 1, "prefixItems": [{"type": "string"}] * 2},
            [["a"], ["a", 1], ["a", "b"], []],
        ),
        # A closed list of constants whose maxItems is below its length is never valid.
        (
            {
                "prefixItems": [{"const": "a"}, {"const": "b"}],
                "minItems": 2,
                "maxItems": 1,
                "items": False,
            },
            [["a", "b"], ["a"], []],
        ),
    ],
)
def test_regressions_agree_with_the_reference(schema: Any, instances: list[Any]) -> None:
    check = compile_schema(schema)
    reference = Draft202012Validator(schema)
    for instance in instances:
        assert check(instance) == reference.is_valid(instance), instance


def _letters(number: int) -> str:
    text = ""
    while True:
        number, digit = divmod(number, 26)
        text += "abcdefghijklmnopqrstuvwxyz"[digit]
        if not number:
            return text


def test_a_pattern_remembers_only_texts_that_matched_and_stays_bounded() -> None:
    check = compile_schema({"type": "string", "pattern": "^[a-z]+$"})
    for _ in range(2):  # the second time from what was remembered
        assert check("abc")
        assert not check("ABC")
        assert not check("abc1")
    (remembered,) = [c for c in check.__globals__.values() if isinstance(c, set)]
    assert remembered == {"abc"}
    for number in range(3_000):
        assert check(_letters(number))
        assert not check(_letters(number) + "!")
    assert 0 < len(remembered) <= 512
    long_text = "z" * 65
    assert check(long_text)
    assert long_text not in remembered
    assert not check(long_text + "1")
