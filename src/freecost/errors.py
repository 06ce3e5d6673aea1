"""The exceptions freecost raises on purpose.

Every error a person can cause is a :class:`FreecostError`; the command line turns each into
one line per problem (``file:line:col: field: message``) and exit code 3, never a traceback.
Third-party exceptions are translated into this hierarchy where they cross into our code.

    FreecostError
    ├── SourceError        a file could not be read or parsed as a whole (missing, binary, too big)
    ├── ValidationFailed   one or more Problems in an inventory or a check pack
    ├── UnknownService     a service named on the command line has no check pack
    └── SecretError        a secret reference could not be resolved (named, never its value)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an input file, located as precisely as the file allows."""

    file: str
    line: int | None
    column: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = one_line(self.file)
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        field = f" {one_line(self.field)}:" if self.field else ""
        return f"{where}:{field} {one_line(self.message)}"


def one_line(text: str) -> str:
    """``text`` with line breaks and other control characters shown as escapes.

    Messages quote what the person wrote; a value with a line break in it must not split a
    problem over two lines, since scripts read one problem per line.
    """
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode() for ch in text)


class FreecostError(Exception):
    """Base of every error freecost reports to a person."""

    def lines(self) -> list[str]:
        """The error as the lines the command line prints, one per problem."""
        return [str(self)]


class SourceError(FreecostError):
    """A whole file is unusable: missing, a directory, not text, too large or not YAML."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(str(problem))


class ValidationFailed(FreecostError):
    """An input file parsed but breaks one or more rules; every problem is kept."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = sorted(problems, key=_problem_order)
        super().__init__("\n".join(str(p) for p in self.problems))

    def lines(self) -> list[str]:
        return [str(p) for p in self.problems]


class UnknownService(FreecostError):
    """A service was asked for by name and no check pack has that name."""


class SecretError(FreecostError):
    """A secret reference (``${NAME}`` or ``file:PATH``) cannot be resolved."""


def _problem_order(problem: Problem) -> tuple[str, int, int, str, str]:
    return (problem.file, problem.line or 0, problem.column or 0, problem.field, problem.message)
