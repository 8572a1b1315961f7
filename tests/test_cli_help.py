"""``certreg --help`` speaks to its users, and the docs name only commands that exist.

The help is read by the body's staff and by employers and regulators checking a credential:
it says what a command does for them, what it needs and what it prints, never how the code
is arranged. Every command and subcommand is walked, so a new one is held to the same rule
the day it is added. The README and the docs are read the same way: each ``certreg …``
command line they show must name a command and options that ``certreg --help`` lists.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.core import TyperCommand, TyperGroup
from typer.testing import CliRunner

from issuer.cli import app

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()

INTERNAL = {
    "a module path": re.compile(
        r"\b(?:issuer|registry|verifier|schemas|examples|tests)\.[a-z_]+\b"
    ),
    "reStructuredText markup": re.compile(r"``|:(?:mod|func|class|data|meth):"),
    "a Python file": re.compile(r"\b[a-z_]+\.py\b"),
    "code-structure jargon": re.compile(
        r"\b(?:composition root|security contexts?|docstrings?|this module|spawned|outbox|"
        r"publisher|migrations?|callables?|dataclass(?:es)?)\b",
        re.IGNORECASE,
    ),
}
"""What tells a reader about the code rather than about what the command does for them."""

CAMEL_CASE = re.compile(r"\b[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]+)+\b")
"""A class-like name (``HttpPublisher``, ``IssuerError``)."""
STANDARD_TERMS = frozenset({"EnvelopedVerifiableCredential"})
"""Names from the standards that a verifier meets in the credentials themselves."""


Command = TyperCommand | TyperGroup


def _command(found: object) -> Command:
    assert isinstance(found, TyperCommand | TyperGroup), found
    return found


def _commands(
    command: Command, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], Command]]:
    yield path, command
    if isinstance(command, TyperGroup):
        for name, sub in sorted(command.commands.items()):
            yield from _commands(_command(sub), (*path, name))


ROOT_COMMAND = _command(typer.main.get_command(app))
COMMANDS = dict(_commands(ROOT_COMMAND))


def _help(path: tuple[str, ...]) -> str:
    answer = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert answer.exit_code == 0, answer.output
    return answer.output


def internal_words(text: str) -> list[str]:
    """What in ``text`` speaks about the code instead of to the user."""
    found = [
        f"{what}: {match.group(0)!r}"
        for what, pattern in INTERNAL.items()
        for match in pattern.finditer(text)
    ]
    found += [
        f"a class-like name: {match.group(0)!r}"
        for match in CAMEL_CASE.finditer(text)
        if match.group(0) not in STANDARD_TERMS
    ]
    return found


@pytest.mark.parametrize("path", list(COMMANDS), ids=lambda path: " ".join(path) or "certreg")
def test_the_help_speaks_about_the_command_not_the_code(path: tuple[str, ...]) -> None:
    text = _help(path)
    assert internal_words(text) == [], text


@pytest.mark.parametrize("path", list(COMMANDS), ids=lambda path: " ".join(path) or "certreg")
def test_every_command_argument_and_option_is_explained(path: tuple[str, ...]) -> None:
    command = COMMANDS[path]
    assert (command.help or "").strip(), f"certreg {' '.join(path)} has no help"
    for parameter in command.params:
        if parameter.name == "help":
            continue
        explained = getattr(parameter, "help", None)
        assert explained, f"certreg {' '.join(path)}: {parameter.name} has no help"


@pytest.mark.parametrize(
    "path",
    [("verify",), ("audit", "verify"), ("issue-bulk",), ("keys", "retire")],
    ids=" ".join,
)
def test_commands_whose_exit_status_is_an_answer_say_what_it_means(
    path: tuple[str, ...],
) -> None:
    assert re.search(r"\bexit (?:status )?[0-2]\b", _help(path), re.IGNORECASE)


def test_the_check_finds_what_the_old_help_said() -> None:
    """The words of the help before it was rewritten for its readers are all found."""
    old = (
        "The ``certreg`` command line: the composition root that wires settings into the "
        "contexts. Each signing or writing process of ``issue-bulk`` (a spawned process "
        "imports the ``certreg`` script, which is this module).",
        "run one security context",
        "the measurements are :mod:`issuer.bench`'s",
        "issue a roster file through issuer.bulk.issuance",
        "raises IssuerError from HttpPublisher",
    )
    for text in old:
        assert internal_words(text), text
    assert internal_words("Verify a credential: exit 0 valid, 1 not valid (revoked).") == []


def _documented_command_lines() -> Iterator[tuple[str, str]]:
    """Every ``certreg …`` command line in the README and docs/: shell blocks and code spans."""
    for document in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = document.read_text("utf-8")
        for block in re.findall(r"```sh\n(.*?)```", text, re.DOTALL):
            for line in block.splitlines():
                for command in line.partition(" #")[0].split("&&"):
                    if command.strip().startswith("certreg "):
                        yield document.name, command.strip()
        for span in re.findall(r"`(certreg [^`]+)`", text):
            yield document.name, span


def _words(line: str) -> list[str]:
    """The words of a documented command line, its optional parts ``[--x Y]`` unbracketed."""
    words = shlex.split(line.replace("[", " ").replace("]", " ").replace("...", " "))
    return words[1:]


def _resolve(words: list[str]) -> tuple[Command, list[str], list[str]]:
    """The command the words name, the words after it, and any unknown subcommand."""
    command = ROOT_COMMAND
    rest = list(words)
    while isinstance(command, TyperGroup) and rest and not rest[0].startswith("-"):
        word = rest.pop(0)
        choices = word.split("|")
        unknown = [choice for choice in choices if choice not in command.commands]
        if unknown or len(choices) > 1:  # `keys list|rotate|retire KID`: each one must exist
            return command, rest, unknown
        command = _command(command.commands[word])
    return command, rest, []


DOCUMENTED = sorted(set(_documented_command_lines()))


def test_the_docs_show_command_lines() -> None:
    assert len(DOCUMENTED) > 20
    assert ("README.md", "certreg serve --demo") in DOCUMENTED


@pytest.mark.parametrize(("document", "line"), DOCUMENTED)
def test_documented_commands_and_options_exist(document: str, line: str) -> None:
    command, rest, unknown = _resolve(_words(line))
    assert unknown == [], f"{document}: `{line}` names no command {unknown}"
    if isinstance(command, TyperGroup):
        return  # a group alone, or a choice of its subcommands, as checked above
    known = {name for parameter in command.params for name in parameter.opts}
    for word in rest:
        option = word.partition("=")[0]
        if option.startswith("--"):
            assert option in known, f"{document}: `{line}`: certreg has no {option} there"
