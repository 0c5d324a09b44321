"""Errors and warnings that reach the user as one line, never a traceback."""

from __future__ import annotations

from dataclasses import dataclass


class SymmetryStudioError(Exception):
    """Base of every error the user can cause and fix; `str(err)` is the one-line message."""

    exit_code = 1


class InputError(SymmetryStudioError):
    """Bad input (photo, plan, option): exit status 2, the message says what to do."""

    exit_code = 2

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class ModelFileError(SymmetryStudioError):
    """The landmark model is missing or corrupt."""

    exit_code = 2


@dataclass(frozen=True)
class Notice:
    """A warning attached to a result: a stable `code`, a readable `message`, and, for a plan
    warning about one injection or session, that injection's index (0-based), its day and its
    standard site, and for one injection what it is (`what`, without its day) and the problem
    (`reason`), so a UI can show it there and group repeats without reading the message."""

    code: str
    message: str
    injection: int | None = None
    day: float | None = None
    site: str | None = None
    what: str | None = None
    reason: str | None = None

    def to_json(self) -> dict[str, str | int | float]:
        out: dict[str, str | int | float] = {"code": self.code, "message": self.message}
        if self.injection is not None:
            out["injection"] = self.injection
        if self.day is not None:
            out["day"] = self.day
        if self.site is not None:
            out["site"] = self.site
        return out
