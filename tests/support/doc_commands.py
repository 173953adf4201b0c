"""Find `osmosis ...` command lines in Markdown and check them against the real CLI's help.

A command is checked the way a user would run it: each word must be a subcommand of the group
before it, and each ``--flag`` (or ``-x``) must be listed in the help of the command it reaches
or among the global options. Help texts come from running ``osmosis <words> --help``.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

#: Global options that take a value (`--workspace NAME`) or none (`--json`).
GLOBAL_WITH_VALUE = {"--workspace", "--env-file", "--platform"}
GLOBAL_FLAGS = {"--json", "--plain", "--version", "-V", "--help", "-h"}
#: Shell syntax that ends a command on a line.
STOP_TOKENS = {"&&", "||", "|", ";", ">", ">>", "2>", "2>&1", "#", ")", "<", "\\"}

_CODE_SPAN = re.compile(r"(`+)(.+?)\1")
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
# `osmosis` as a command word: not `osmosis-workspace`, `osmosis_ai`, `.osmosis/` or a URL.
_COMMAND_START = re.compile(r"(?:^|(?<=[\s(`$]))osmosis(?=\s|$)")


def code_fragments(markdown: str) -> Iterator[str]:
    """Lines of fenced code blocks and the contents of inline code spans."""
    fence: str | None = None
    for line in markdown.splitlines():
        match = _FENCE.match(line)
        if fence is None and match:
            fence = match.group(1)
            continue
        if fence is not None:
            if line.strip().startswith(fence):
                fence = None
            else:
                yield line
            continue
        for span in _CODE_SPAN.finditer(line):
            yield span.group(2)


def command_lines(markdown: str) -> Iterator[list[str]]:
    """Token lists after each `osmosis` command word found in the Markdown's code."""
    for fragment in code_fragments(markdown):
        fragment = re.sub(r"(^|\s)#.*$", "", fragment)  # a shell comment is prose
        for match in _COMMAND_START.finditer(fragment):
            rest = fragment[match.end() :]
            try:
                tokens = shlex.split(rest, comments=True)
            except ValueError:
                tokens = rest.split()
            words: list[str] = []
            for token in tokens:
                if token in STOP_TOKENS or token.startswith(("#", ">")):
                    break
                words.append(token)
            yield words


@dataclass
class HelpTree:
    """Subcommands and options of each command path, read from ``osmosis ... --help``."""

    run_help: Callable[[list[str]], tuple[int, str]]
    _cache: dict[tuple[str, ...], tuple[set[str], set[str]] | None] = field(default_factory=dict)

    def lookup(self, path: list[str]) -> tuple[set[str], set[str]] | None:
        """(subcommands, options) of ``path``, or None when it is not a command."""
        key = tuple(path)
        if key not in self._cache:
            code, text = self.run_help(path)
            self._cache[key] = parse_help(text) if code == 0 else None
        return self._cache[key]

    def prefetch(self, run_many: Callable[[list[list[str]]], list[tuple[int, str]]]) -> int:
        """Read the help of every command path, one ``run_many`` batch per depth, so that no
        later lookup runs the CLI; returns how many help screens were read."""
        level: list[list[str]] = [[]]
        read = 0
        while level:
            for path, (code, text) in zip(level, run_many(level), strict=True):
                self._cache[tuple(path)] = parse_help(text) if code == 0 else None
            read += len(level)
            level = [
                [*path, sub]
                for path in level
                if (found := self._cache[tuple(path)]) is not None
                for sub in sorted(found[0])
            ]
        return read

    def problem(self, words: list[str]) -> str:
        """Why ``osmosis <words>`` would not run as written, or ``""``."""
        root = self.lookup([])
        assert root is not None, "osmosis --help failed"
        path: list[str] = []
        subcommands, options = root
        skip_value = False
        at_arguments = False
        for word in words:
            if skip_value:
                skip_value = False
            elif word.startswith("-") and word != "-":
                flag = word.split("=", 1)[0]
                if flag in GLOBAL_WITH_VALUE:
                    skip_value = "=" not in word
                elif flag not in GLOBAL_FLAGS and flag not in options:
                    return f"osmosis {' '.join(path)}: no option {flag}".replace("  ", " ")
            elif at_arguments or not subcommands:
                at_arguments = True  # arguments and option values of a leaf command
            elif word.startswith("<") and word.endswith(">"):
                break  # a placeholder such as <command>: the rest is unknown by design
            elif word in subcommands:
                path.append(word)
                found = self.lookup(path)
                if found is None:
                    return f"osmosis {' '.join(path)} --help failed"
                subcommands, options = found
            else:
                where = f"osmosis {' '.join(path)}".strip()
                return f"{word!r} is not a subcommand of `{where}`"
        return ""


def parse_help(text: str) -> tuple[set[str], set[str]]:
    """Subcommand names and option names from a Typer/Rich help screen."""
    subcommands: set[str] = set()
    options: set[str] = set()
    section = ""
    for raw in text.splitlines():
        line = raw.strip().strip("│").strip()
        header = re.match(r"^[╭┌]─+\s*(.+?)\s*─", raw.strip())
        if header:
            section = header.group(1).lower()
            continue
        if not line:
            continue
        options.update(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*|-[a-zA-Z])\b", line))
        if "command" in section:
            name = re.match(r"^([a-z][a-z0-9-]*)\s{2,}", line) or re.match(
                r"^([a-z][a-z0-9-]*)$", line
            )
            if name:
                subcommands.add(name.group(1))
    return subcommands, options


# ---------------------------------------------------------------------------------------------
# Flags named in prose: "`model deploy` ... add `--yes`" must be true of that command
# ---------------------------------------------------------------------------------------------

#: "has no `--yes`": a claim that the command lacks the flag.
_NEGATION = re.compile(r"\bno\s+`(-[-\w]+)`", re.IGNORECASE)
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")


def prose_units(markdown: str) -> Iterator[str]:
    """Paragraphs, list items and table rows outside fenced code (one claim's reach)."""
    unit: list[str] = []
    fence: str | None = None
    for line in markdown.splitlines():
        match = _FENCE.match(line)
        if fence is None and match:
            fence = match.group(1)
        elif fence is not None:
            fence = None if line.strip().startswith(fence) else fence
            continue
        if (
            fence is not None
            or not line.strip()
            or _LIST_ITEM.match(line)
            or line.lstrip().startswith(("|", "#"))
        ):
            if unit:
                yield " ".join(unit)
            unit = [line] if fence is None and line.strip() else []
            continue
        unit.append(line.strip())
    if unit:
        yield " ".join(unit)


@dataclass(frozen=True)
class FlagClaim:
    """`flag` is said to exist (or, when ``negated``, not to exist) on ``osmosis <command>``."""

    command: tuple[str, ...]
    flag: str
    negated: bool
    text: str


def flag_claims(markdown: str, tree: HelpTree) -> Iterator[FlagClaim]:
    """Each flag named in prose, paired with the commands it is said of.

    A flag span is said of a command named just before it in its sentence ("`model deploy`
    with `--yes`": at most three words apart, no comma or bracket between), or, in a sentence
    naming no command, of the commands of the closest earlier sentence of the same paragraph
    ("... before `model deploy`. Add `--yes` only after ..."). "no `--flag`" makes it a claim
    that the command lacks the flag, which is checked too.
    """
    for unit in prose_units(markdown):
        last: set[tuple[str, ...]] = set()
        for sentence in re.split(r"(?<=[.!?;:|])\s+", unit):
            negated = {m.group(1) for m in _NEGATION.finditer(sentence)}
            here: list[tuple[tuple[str, ...], int]] = []  # (command, end of its span)
            for match in _CODE_SPAN.finditer(sentence):
                span = match.group(2).strip()
                if span.startswith("-") and len(span) > 1:
                    flag = span.split()[0].split("=", 1)[0]
                    near = {c for c, end in here if _adjacent(sentence[end : match.start()])}
                    for command in sorted(near if here else last):
                        yield FlagClaim(command, flag, flag in negated, unit)
                elif command := _command_path(span, tree):
                    here.append((command, match.end()))
            last = {c for c, _ in here} or last


def _adjacent(gap: str) -> bool:
    return len(gap.split()) <= 3 and not re.search(r"[,()\[\]]", gap)


def _command_path(span: str, tree: HelpTree) -> tuple[str, ...] | None:
    """The osmosis leaf command a code span names (`model deploy`, `osmosis eval run x`)."""
    try:
        words = shlex.split(span)
    except ValueError:
        words = span.split()
    explicit = bool(words) and words[0] == "osmosis"
    words = [w for w in words[explicit:] if w not in GLOBAL_FLAGS]
    path: list[str] = []
    found = tree.lookup([])
    while found is not None and found[0] and words and words[0] in found[0]:
        path.append(words.pop(0))
        found = tree.lookup(path)
    if found is None or found[0] or not path or not (explicit or len(path) >= 2):
        return None
    return tuple(path)


def claim_problem(claim: FlagClaim, tree: HelpTree) -> str:
    """Why a prose claim about a flag is false for the pinned CLI, or ``""``."""
    found = tree.lookup(list(claim.command))
    assert found is not None
    has = claim.flag in found[1] or claim.flag in GLOBAL_FLAGS | GLOBAL_WITH_VALUE
    where = f"osmosis {' '.join(claim.command)}"
    if claim.negated and has:
        return f"says {where} has no {claim.flag}, but it does"
    if not claim.negated and not has:
        return f"mentions {claim.flag} with `{where}`, which has no option {claim.flag}"
    return ""
