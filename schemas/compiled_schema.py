"""A JSON Schema subset compiled to plain Python code, for the verification hot path.

``jsonschema`` is the reference validator and explains every violation, but it walks the
schema for every instance: on a certification credential it costs several times the ES256
signature check itself, which would make verification schema-bound rather than
signature-bound (docs/PERFORMANCE.md). Our schemas use a small, fixed subset of draft
2020-12, so each is compiled once into straight-line Python source (one function per
subschema, generated, then ``exec``-ed from our own schema files only) that answers only
"valid or not"; on
"not", :func:`schemas.credential_schemas.validate` asks ``jsonschema`` for the details.

The subset: ``type``, ``const``, ``enum``, ``properties``, ``required``,
``additionalProperties``, ``prefixItems``, ``items``, ``minItems``, ``maxItems``,
``minLength``, ``maxLength``, ``pattern``, ``minimum``, ``maximum``; annotations
(``$schema``, ``$id``, ``title``, ``description``) and ``format`` are ignored, as the
reference validator does for ``uri`` without optional format packages. Compiling a schema
with any other keyword raises, so the subset cannot silently drift from the schemas; a
property-based test checks both validators agree.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["UnsupportedSchema", "compile_schema"]

Check = Callable[[Any], bool]
_ANNOTATIONS = frozenset({"$schema", "$id", "title", "description", "format"})
_SUPPORTED = _ANNOTATIONS | {
    "type",
    "const",
    "enum",
    "properties",
    "required",
    "additionalProperties",
    "prefixItems",
    "items",
    "minItems",
    "maxItems",
    "minLength",
    "maxLength",
    "pattern",
    "minimum",
    "maximum",
}


class UnsupportedSchema(ValueError):
    """The schema uses a keyword outside the compiled subset."""


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_TYPES: dict[str, Check] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "number": _is_number,
    "integer": lambda v: (
        (isinstance(v, int) and not isinstance(v, bool))
        or (isinstance(v, float) and v.is_integer())
    ),
}


def _json_equal(a: Any, b: Any) -> bool:
    """JSON equality as JSON Schema defines it: ``true`` ≠ ``1``, ``1`` = ``1.0``."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a is b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b, strict=True))
    if _is_number(a) and _is_number(b):
        return bool(a == b)
    return type(a) is type(b) and bool(a == b)


def compile_schema(schema: object) -> Check:
    """A function that returns True exactly when an instance is valid against ``schema``."""
    generator = _Generator()
    entry = generator.function(schema)
    namespace: dict[str, Any] = dict(generator.constants)
    namespace.update(
        _is_number=_is_number,
        _json_equal=_json_equal,
        _dict=dict,
        _list=list,
        _str=str,
        _bool=bool,
        _int=int,
        _float=float,
        _len=len,
        _MISSING=_MISSING,
    )
    source = "\n".join(generator.lines)
    exec(compile(source, "<compiled schema>", "exec"), namespace)  # noqa: S102
    check: Check = namespace[entry]
    return check


def _string_constants(schemas: list[Any]) -> list[str] | None:
    """The strings, when every schema is exactly ``{"const": <string>}`` (plus annotations)."""
    constants = []
    for schema in schemas:
        if not isinstance(schema, Mapping) or not isinstance(schema.get("const"), str):
            return None
        if set(schema) - _ANNOTATIONS != {"const"}:
            return None
        constants.append(schema["const"])
    return constants


_MISSING = object()
"""What ``dict.get`` answers for an absent property (no JSON value is this)."""


def _refuses_missing(schema: object) -> bool:
    """Whether the code for ``schema`` already refuses :data:`_MISSING`: a ``type`` test or
    a string ``const`` comes first and fails for it, so no separate presence test is due."""
    return isinstance(schema, Mapping) and (
        "type" in schema or isinstance(schema.get("const"), str)
    )


_TYPE_TESTS = {
    "object": "isinstance({v}, _dict)",
    "array": "isinstance({v}, _list)",
    "string": "isinstance({v}, _str)",
    "boolean": "isinstance({v}, _bool)",
    "null": "{v} is None",
    "number": "_is_number({v})",
    "integer": "((isinstance({v}, _int) and not isinstance({v}, _bool))"
    " or (isinstance({v}, _float) and {v}.is_integer()))",
}
_FAMILIES = {
    "string": ("string",),
    "number": ("number", "integer"),
    "array": ("array",),
    "object": ("object",),
}
"""Which ``type`` names make each family of keywords apply without a further test."""
_MAX_REMEMBERED = 512
_MAX_REMEMBERED_LENGTH = 64
"""Bounds of each pattern's set of matched texts: hostile input can neither grow it nor
make it hold long strings."""
_MAX_INLINE_DEPTH = 12
"""Subschemas nested deeper than this become functions of their own, well inside the
indentation and block limits of Python's compiler."""


class _Generator:
    """Emits straight-line code: subschemas are inlined into their parent's function.

    A function call per property value was most of the cost of checking a credential, so
    each top-level schema becomes one function whose body tests every value in place;
    constants (patterns, consts, name sets) are bound by name. A failing test returns False
    at once; falling through to the end means valid.
    """

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.constants: dict[str, Any] = {}
        self._count = 0

    def _name(self, prefix: str) -> str:
        self._count += 1
        return f"{prefix}{self._count}"

    def constant(self, value: Any) -> str:
        name = self._name("_c")
        self.constants[name] = value
        return name

    def function(self, schema: object) -> str:
        name = self._name("_check")
        body = self.inline(schema, "v", 1)
        self.lines += [f"def {name}(v):", *("    " + line for line in body), "    return True"]
        return name

    def inline(self, schema: object, v: str, depth: int) -> list[str]:
        """Lines that ``return False`` unless the value named ``v`` is valid."""
        if schema is True:
            return []
        if schema is False:
            return ["return False"]
        if not isinstance(schema, Mapping):
            raise UnsupportedSchema("a schema is an object or a boolean")
        unknown = set(schema) - _SUPPORTED
        if unknown:
            raise UnsupportedSchema(f"keywords outside the compiled subset: {sorted(unknown)}")
        if depth > _MAX_INLINE_DEPTH:
            return [f"if not {self.function(schema)}({v}): return False"]
        out: list[str] = []
        known = None
        if "type" in schema:
            names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
            test = " or ".join(_TYPE_TESTS[n].format(v=v) for n in names)
            out.append(f"if not ({test}): return False")
            known = names[0] if len(names) == 1 else None
        if "const" in schema:
            const = schema["const"]
            c = self.constant(const)
            if isinstance(const, str):
                # JSON Schema equality with a string is ``==`` (a string equals only strings).
                out.append(f"if {v} != {c}: return False")
            else:
                out.append(f"if not _json_equal({v}, {c}): return False")
        if "enum" in schema:
            options = list(schema["enum"])
            if options and all(isinstance(o, str) for o in options):
                # JSON equality with a string is: also a string, and equal.
                c = self.constant(frozenset(options))
                out.append(f"if not (type({v}) is _str and {v} in {c}): return False")
            else:
                c = self.constant(options)
                out.append(f"if not any(_json_equal({v}, o) for o in {c}): return False")
        families = (
            ("string", self._strings(schema, v)),
            ("number", self._numbers(schema, v)),
            ("array", self._arrays(schema, v, depth)),
            ("object", self._objects(schema, v, depth)),
        )
        for family, lines in families:
            if not lines:
                continue
            if known in _FAMILIES[family]:
                out += lines  # the type test above already holds
            elif known is None:
                guard = "_is_number({v})" if family == "number" else _TYPE_TESTS[family]
                out += [f"if {guard.format(v=v)}:", *("    " + line for line in lines)]
            # else: a value of another type, which these keywords do not constrain
        return out

    def _strings(self, schema: Mapping[str, Any], v: str) -> list[str]:
        out = []
        if "minLength" in schema and "maxLength" in schema:
            low, high = int(schema["minLength"]), int(schema["maxLength"])
            out.append(f"if not {low} <= _len({v}) <= {high}: return False")
        elif "minLength" in schema:
            out.append(f"if _len({v}) < {int(schema['minLength'])}: return False")
        elif "maxLength" in schema:
            out.append(f"if _len({v}) > {int(schema['maxLength'])}: return False")
        if "pattern" in schema:
            # Texts that matched are remembered (a bounded set per pattern): one issuer's
            # credentials repeat their dates, issuer and status list URLs, and a set lookup
            # costs a fraction of a search.
            search = self.constant(re.compile(schema["pattern"]).search)
            matched = self.constant(set())
            out += [
                f"if {v} not in {matched}:",
                f"    if {search}({v}) is None: return False",
                f"    if _len({v}) <= {_MAX_REMEMBERED_LENGTH}:",
                f"        if _len({matched}) >= {_MAX_REMEMBERED}: {matched}.clear()",
                f"        {matched}.add({v})",
            ]
        return out

    def _numbers(self, schema: Mapping[str, Any], v: str) -> list[str]:
        out = []
        if "minimum" in schema:
            out.append(f"if {v} < {self.constant(schema['minimum'])}: return False")
        if "maximum" in schema:
            out.append(f"if {v} > {self.constant(schema['maximum'])}: return False")
        return out

    def _arrays(self, schema: Mapping[str, Any], v: str, depth: int) -> list[str]:
        prefix = schema.get("prefixItems", [])
        constants = _string_constants(prefix)
        least: int = schema.get("minItems", 0)
        most: int | None = schema.get("maxItems")
        if constants is not None and least == len(prefix):
            closed = schema.get("items") is False and (most is None or most >= len(prefix))
            if closed or most == len(prefix):
                # Exactly these strings, in order: one list comparison, made in C.
                return [f"if {v} != {self.constant(constants)}: return False"]
        out = []
        if "minItems" in schema and "maxItems" in schema:
            if least == most:
                out.append(f"if _len({v}) != {int(least)}: return False")
            else:
                out.append(
                    f"if not {int(least)} <= _len({v}) <= {int(schema['maxItems'])}: return False"
                )
        else:
            if "minItems" in schema:
                out.append(f"if _len({v}) < {int(least)}: return False")
            if "maxItems" in schema:
                out.append(f"if _len({v}) > {int(schema['maxItems'])}: return False")
        for position, subschema in enumerate(prefix):
            item = self._name("x")
            lines = self.inline(subschema, item, depth + 1)
            if not lines:
                continue
            lines = [f"{item} = {v}[{position}]", *lines]
            if position < least:  # minItems was checked above
                out += lines
            else:
                out += [f"if _len({v}) > {position}:", *("    " + line for line in lines)]
        if "items" in schema:
            if schema["items"] is False:
                if most is None or most > len(prefix):
                    out.append(f"if _len({v}) > {len(prefix)}: return False")
            else:
                item = self._name("x")
                lines = self.inline(schema["items"], item, depth + 1)
                if lines:
                    rest = f"{v}[{len(prefix)}:]" if prefix else v
                    out += [f"for {item} in {rest}:", *("    " + line for line in lines)]
        return out

    def _objects(self, schema: Mapping[str, Any], v: str, depth: int) -> list[str]:
        required = set(schema.get("required", []))
        properties: Mapping[str, Any] = schema.get("properties", {})
        additional = schema.get("additionalProperties", True)
        # Without other members, every property is fetched anyway: counting the ones found
        # against the object's size proves there is no other member, without comparing
        # every name a second time.
        counted = additional is False and required <= set(properties)
        counter = self._name("n") if counted and len(required) < len(properties) else None
        out = [] if counter is None else [f"{counter} = {len(required)}"]
        if counted and counter is None:
            out.append(f"if _len({v}) != {len(required)}: return False")
        for name in sorted(required - set(properties)):
            out.append(f"if {name!r} not in {v}: return False")
        for name, subschema in properties.items():
            value = self._name("x")
            lines = self.inline(subschema, value, depth + 1)
            if name in required:
                out.append(f"{value} = {v}.get({name!r}, _MISSING)")
                if not _refuses_missing(subschema):
                    out.append(f"if {value} is _MISSING: return False")
                out += lines
            elif lines or counter is not None:
                if counter is not None:
                    lines = [*lines, f"{counter} += 1"]
                out += [
                    f"{value} = {v}.get({name!r}, _MISSING)",
                    f"if {value} is not _MISSING:",
                    *("    " + line for line in lines),
                ]
        if counter is not None:
            out.append(f"if _len({v}) != {counter}: return False")
        elif additional is False and not counted:
            allowed = self.constant(frozenset(properties))
            out.append(f"if not {v}.keys() <= {allowed}: return False")
        elif additional is not True and additional is not False:
            value = self._name("x")
            lines = self.inline(additional, value, depth + 1)
            if lines:
                names = self.constant(frozenset(properties))
                out += [
                    f"for key, {value} in {v}.items():",
                    f"    if key not in {names}:",
                    *("        " + line for line in lines),
                ]
        return out
