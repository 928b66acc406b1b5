"""SOKR's exceptions: one base, :class:`SokrError`, and one subclass per kind of error
the core reports. Each keeps the core's detail: where a program is malformed, which
input is wrong, why every substrate refused.

>>> import sokr
>>> try:
...     sokr.program("sokr.native/1\\nparam x: f32[2]\\ny: f32[3] = exp x\\nreturn y\\n")
... except sokr.InvalidProgramError as e:
...     print(e.line, e.col, e.node)
3 1 y
"""

from __future__ import annotations

import concurrent.futures
import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Offer:
    """A substrate's answer to "can you fulfil this program?"."""

    substrate: str
    kind: str
    ok: bool
    reason: str = ""
    estimate_seconds: float = 0.0
    estimate_bytes: int = 0

    def __bool__(self) -> bool:
        return self.ok

    @classmethod
    def _from(cls, d: dict[str, Any]) -> Offer:
        return cls(
            substrate=d["substrate"],
            kind=d.get("kind", ""),
            ok=bool(d.get("ok")),
            reason=d.get("reason", ""),
            estimate_seconds=float(d.get("estimate_seconds", 0.0)),
            estimate_bytes=int(d.get("estimate_bytes", 0)),
        )


class SokrError(Exception):
    """Base of every error SOKR raises. ``kind`` names the core's error kind."""

    kind = "error"

    def __init__(self, message: str, **detail: Any) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class NoCapableSubstrateError(SokrError):
    """No substrate can run the program; ``offers`` holds every refusal with its reason."""

    kind = "no_capable_substrate"

    @property
    def offers(self) -> list[Offer]:
        return [Offer._from(o) for o in self.detail.get("offers") or []]


class InvalidProgramError(SokrError, ValueError):
    """The program is malformed; ``line``/``col`` (text), ``node`` (graphs) or ``offset``
    (binary) say where."""

    kind = "invalid_program"

    @property
    def line(self) -> int | None:
        return self.detail.get("line")

    @property
    def col(self) -> int | None:
        return self.detail.get("col")

    @property
    def node(self) -> str | None:
        return self.detail.get("node")

    @property
    def offset(self) -> int | None:
        return self.detail.get("offset")


class InvalidInputError(SokrError, ValueError):
    """An input does not fit the program (count, dtype, shape, layout); ``index`` and
    ``name`` say which."""

    kind = "invalid_input"

    @property
    def index(self) -> int | None:
        return self.detail.get("index")

    @property
    def name(self) -> str | None:
        return self.detail.get("name")


class CancelledError(SokrError, concurrent.futures.CancelledError):
    """The dispatch was cancelled (it is also a ``concurrent.futures.CancelledError``)."""

    kind = "cancelled"


class DeadlineExceededError(SokrError, TimeoutError):
    """The dispatch's deadline passed before it completed."""

    kind = "deadline_exceeded"


class SubstrateFaultError(SokrError):
    """A substrate failed while running (a panic or crash inside it, caught): ``substrate``
    names it and ``stack`` holds its stack."""

    kind = "substrate_fault"

    @property
    def substrate(self) -> str | None:
        return self.detail.get("substrate")

    @property
    def stack(self) -> str:
        return str(self.detail.get("stack", ""))


class ClosedError(SokrError):
    """The runtime was closed."""

    kind = "closed"


class RegistrationError(SokrError):
    """A plugin, substrate or policy could not be registered or found."""

    kind = "registration"


class UnknownFormatError(SokrError, ValueError):
    """No registered IR reads this source or object."""

    kind = "unknown_format"


class AlreadyDoneError(SokrError):
    """The dispatch had already completed (cancelling it, say); its result stands."""

    kind = "already_done"


_KINDS: dict[str, type[SokrError]] = {
    c.kind: c
    for c in (
        NoCapableSubstrateError,
        InvalidProgramError,
        InvalidInputError,
        CancelledError,
        DeadlineExceededError,
        SubstrateFaultError,
        ClosedError,
        RegistrationError,
        UnknownFormatError,
        AlreadyDoneError,
    )
}


def _from_json(text: str | dict[str, Any]) -> SokrError:
    """Build the exception the core's error JSON describes."""
    d = json.loads(text) if isinstance(text, str) else text
    cls = _KINDS.get(d.get("kind", ""), SokrError)
    detail = {k: v for k, v in d.items() if k not in ("kind", "message")}
    return cls(d.get("message", "sokr: unknown error"), **detail)
