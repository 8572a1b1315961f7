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
    )
    source = "\n".join([*generator.lines, *generator.tables])
    exec(compile(source, "<compiled schema>", "exec"), namespace)  # noqa: S102
    check: Check = namespace[entry]
    return check


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


class _Generator:
    """Emits one ``def`` per subschema; constants (patterns, consts) are bound by name."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.constants: dict[str, Any] = {}
        self.tables: list[str] = []
        """Property tables, emitted after every function they name is defined."""
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
        if schema is True or schema is False:
            self.lines += [f"def {name}(v):", f"    return {schema}"]
            return name
        if not isinstance(schema, Mapping):
            raise UnsupportedSchema("a schema is an object or a boolean")
        unknown = set(schema) - _SUPPORTED
        if unknown:
            raise UnsupportedSchema(f"keywords outside the compiled subset: {sorted(unknown)}")
        body = self._body(schema)
        self.lines += [f"def {name}(v):", *("    " + line for line in body), "    return True"]
        return name

    def _body(self, schema: Mapping[str, Any]) -> list[str]:
        out: list[str] = []
        if "type" in schema:
            names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
            test = " or ".join(_TYPE_TESTS[n].format(v="v") for n in names)
            out.append(f"if not ({test}): return False")
        if "const" in schema:
            const = schema["const"]
            c = self.constant(const)
            if isinstance(const, str):
                out.append(f"if not (isinstance(v, _str) and v == {c}): return False")
            else:
                out.append(f"if not _json_equal(v, {c}): return False")
        if "enum" in schema:
            c = self.constant(list(schema["enum"]))
            out.append(f"if not any(_json_equal(v, o) for o in {c}): return False")
        out += self._strings(schema) + self._numbers(schema)
        out += self._arrays(schema) + self._objects(schema)
        return out

    def _strings(self, schema: Mapping[str, Any]) -> list[str]:
        tests = []
        if "minLength" in schema:
            tests.append(f"_len(v) < {int(schema['minLength'])}")
        if "maxLength" in schema:
            tests.append(f"_len(v) > {int(schema['maxLength'])}")
        if "pattern" in schema:
            c = self.constant(re.compile(schema["pattern"]).search)
            tests.append(f"{c}(v) is None")
        if not tests:
            return []
        return ["if isinstance(v, _str):", *(f"    if {t}: return False" for t in tests)]

    def _numbers(self, schema: Mapping[str, Any]) -> list[str]:
        tests = []
        if "minimum" in schema:
            tests.append(f"v < {self.constant(schema['minimum'])}")
        if "maximum" in schema:
            tests.append(f"v > {self.constant(schema['maximum'])}")
        if not tests:
            return []
        return ["if _is_number(v):", *(f"    if {t}: return False" for t in tests)]

    def _arrays(self, schema: Mapping[str, Any]) -> list[str]:
        tests = []
        if "minItems" in schema:
            tests.append(f"if _len(v) < {int(schema['minItems'])}: return False")
        if "maxItems" in schema:
            tests.append(f"if _len(v) > {int(schema['maxItems'])}: return False")
        prefix = [self.function(s) for s in schema.get("prefixItems", [])]
        for position, check in enumerate(prefix):
            tests.append(f"if _len(v) > {position} and not {check}(v[{position}]): return False")
        if "items" in schema:
            rest = self.function(schema["items"])
            tests.append(f"for item in v[{len(prefix)}:]:")
            tests.append(f"    if not {rest}(item): return False")
        if not tests:
            return []
        return ["if isinstance(v, _list):", *("    " + t for t in tests)]

    def _objects(self, schema: Mapping[str, Any]) -> list[str]:
        tests = [
            f"if {self.constant(name)} not in v: return False"
            for name in schema.get("required", [])
        ]
        properties = {name: self.function(s) for name, s in schema.get("properties", {}).items()}
        additional = schema.get("additionalProperties")
        if properties or additional is not None:
            table = self._name("_table")
            self.tables.append(
                f"{table} = {{{', '.join(f'{n!r}: {f}' for n, f in properties.items())}}}"
            )
            extra = None if additional is None else self.function(additional)
            tests.append("for key, value in v.items():")
            tests.append(f"    check = {table}.get(key)")
            tests.append("    if check is not None:")
            tests.append("        if not check(value): return False")
            if extra is not None:
                tests.append(f"    elif not {extra}(value): return False")
        if not tests:
            return []
        return ["if isinstance(v, _dict):", *("    " + t for t in tests)]
