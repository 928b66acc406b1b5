"""The ``sokr`` command (also ``python -m sokr``)::

    sokr info [--json]
        the version, the substrates (name, kind, properties), the IR formats and the plugins
        that failed to start

    sokr run FILE [--ir FORMAT] [--substrate NAME] [--input [NAME=]FILE.npy ...]
                  [--output OUT.npz] [--timeout SECONDS] [--option KEY=VALUE ...]
        parse FILE (any registered IR; "-" reads standard input), dispatch it on the inputs
        and print a summary; --output saves every output to an .npz archive

Inputs are ``.npy`` files, given by the program's input names (``--input x=x.npy``) or in
the declared order (``--input x.npy``). ``--option`` values are read as JSON where they
parse (``shots=1000``, ``seed=7``), else as strings.

Exit status: 0 on success; 1 when SOKR or a file reports an error (an invalid program, an
unreadable input, no capable substrate, a failed run); 2 for a command line that does not
fit (unknown options, malformed ``--input`` or ``--option``, inputs the program does not
declare or is missing); 130 when interrupted. Errors are one line on standard error,
starting ``sokr:``.

>>> from sokr.cli import main
>>> main(["--version"])  # doctest: +ELLIPSIS
sokr ...
0
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
from collections.abc import Sequence
from typing import Any, NoReturn, cast

import numpy as np

from . import _native
from ._arrays import DTYPES, TensorSpec
from ._future import Result
from ._runtime import Program, Runtime, default_runtime
from .errors import DeadlineExceededError, SokrError, UnknownFormatError

__all__ = ["main"]

_NPY_MAGIC = b"\x93NUMPY"
_ZIP_MAGIC = b"PK\x03\x04"


class _UsageError(Exception):
    """The command line does not fit: exit status 2."""


class _Failure(Exception):
    """A file or the run failed: exit status 1."""


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line and a return code, not an exit."""

    def error(self, message: str) -> NoReturn:
        raise _UsageError(f"{message} (see '{self.prog} --help')")


def _positive_seconds(s: str) -> float:
    try:
        v = float(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {s!r}") from None
    if not (v > 0 and math.isfinite(v)):
        raise argparse.ArgumentTypeError(f"the timeout must be a positive number of seconds, got {s!r}")
    return v


def _parser() -> _Parser:
    p = _Parser(
        prog="sokr",
        description="SOKR: one program, whichever substrate is there.",
        epilog="Exit status: 0 ok, 1 error reported by SOKR or a file, 2 usage error, 130 interrupted.",
    )
    p.add_argument("--version", action="version", version=f"sokr {_native.version()}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    info = sub.add_parser(
        "info",
        help="show the substrates, IR formats and failed plugins",
        description="Show the version, the substrates (name, kind, properties), the IR formats and the "
        "plugins that failed to start.",
    )
    info.add_argument("--json", action="store_true", help="print JSON instead of tables")

    run = sub.add_parser(
        "run",
        help="run a program file on .npy inputs",
        description="Parse FILE (any registered IR), dispatch it on the inputs and print a summary of "
        "the outputs.",
    )
    run.add_argument("file", metavar="FILE", help='the program ("-" reads standard input)')
    run.add_argument("--ir", metavar="FORMAT", help="the IR format (detected by default), e.g. sokr.native/1")
    run.add_argument("--substrate", metavar="NAME", help="run on this substrate only")
    run.add_argument(
        "-i",
        "--input",
        action="append",
        default=[],
        metavar="[NAME=]FILE.npy",
        help="an input, by the program's input name or in declared order (repeat for each)",
    )
    run.add_argument("-o", "--output", metavar="OUT.npz", help="save all outputs to this .npz archive")
    run.add_argument("--timeout", type=_positive_seconds, metavar="SECONDS", help="deadline for the run")
    run.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a dispatch option (value read as JSON where it parses: shots=1000, seed=7)",
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``sokr`` command with ``argv`` (default: ``sys.argv[1:]``); returns the exit
    status."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except _UsageError as e:
        return _fail(str(e), 2)
    except SystemExit as e:  # --help, --version
        return e.code if isinstance(e.code, int) else 0 if e.code is None else 1
    try:
        if args.command == "info":
            return _info(args)
        if args.command == "run":
            return _run(args)
        parser.print_help(sys.stderr)
        return 2
    except _UsageError as e:
        return _fail(str(e), 2)
    except _Failure as e:
        return _fail(str(e), 1)
    except SokrError as e:
        return _fail(e.message, 1)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except BrokenPipeError:  # e.g. `sokr info | head -1`
        try:
            sys.stdout = open(os.devnull, "w")  # quiet the flush at exit
        except OSError:
            pass
        return 1


def _fail(message: str, code: int) -> int:
    lines = [line.strip() for line in str(message).splitlines() if line.strip()]
    text = "; ".join(lines)
    if text.startswith("sokr: "):
        text = text[len("sokr: ") :]
    print(f"sokr: {text}", file=sys.stderr)
    return code


# -- info -----------------------------------------------------------------------------------------


def _info(args: argparse.Namespace) -> int:
    info = default_runtime().info()
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    print(info_text(info))
    return 0


def info_text(info: dict[str, Any]) -> str:
    """The `sokr info` table of a runtime's info(): the memory budget and where it came from,
    substrates with their properties, IR formats, failed plugins."""
    out = [f"sokr {info.get('version', '?')}", ""]
    mem = info.get("memory")
    if mem:
        out += [f"MEMORY BUDGET {_human('budget_bytes', mem['budget'])}, set by {mem['source']}", ""]
    subs = info.get("substrates") or []
    rows = [("SUBSTRATE", "KIND", "PROPERTIES")]
    props: list[list[str]] = [[]]
    for s in subs:
        items = [f"{k}={_human(k, v)}" for k, v in sorted((s.get("properties") or {}).items())]
        rows.append((s["name"], s.get("kind", ""), items[0] if items else "-"))
        props.append(items[1:])
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    for r, more in zip(rows, props, strict=True):
        out.append(f"{r[0]:<{w0}}  {r[1]:<{w1}}  {r[2]}".rstrip())
        out += [f"{'':<{w0}}  {'':<{w1}}  {p}" for p in more]
    if not subs:
        out.append("(no substrates)")
    out += ["", "IR FORMATS"]
    out += [f"{ir}" for ir in info.get("irs") or []] or ["(none)"]
    failures = info.get("failures") or {}
    out += ["", "FAILED PLUGINS" + ("" if failures else ": none")]
    out += [f"{name}: {' '.join(str(msg).split())}" for name, msg in sorted(failures.items())]
    return "\n".join(out)


def _human(key: str, value: Any) -> str:
    """A property value, with byte counts also in GiB/MiB."""
    text = str(value)
    if key.endswith("_bytes") and text.isdigit():
        n = int(text)
        for unit, size in (("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
            if n >= size:
                return f"{text} ({n / size:.1f} {unit})"
    return text


# -- run ------------------------------------------------------------------------------------------


def _run(args: argparse.Namespace) -> int:
    rt = default_runtime()
    if args.ir is not None and args.ir not in rt.irs():
        raise _UsageError(f"unknown IR format {args.ir!r} (registered: {', '.join(rt.irs()) or 'none'})")
    if args.substrate is not None:
        names = [s.name for s in rt.substrates()]
        if args.substrate not in names:
            have = ", ".join(names) or "none"
            raise _UsageError(f"unknown substrate {args.substrate!r} (available: {have})")
    options = _options(args.option)
    if args.timeout is not None:
        options["timeout"] = args.timeout
    if args.output is not None:
        folder = os.path.dirname(os.path.abspath(args.output))
        if not os.path.isdir(folder):
            raise _Failure(f"cannot write {args.output}: no such directory: {folder}")

    prog = _program(rt, args.file, args.ir)
    arrays = _inputs(prog, args.input)
    fut = rt.dispatch(prog, *arrays, substrate=args.substrate, **options)
    try:
        res = fut.result()
    except KeyboardInterrupt:
        fut.cancel()
        raise
    except DeadlineExceededError as e:
        limit = f" (--timeout {args.timeout:g} s)" if args.timeout else ""
        raise _Failure(_strip(e.message) + limit) from None
    _summary(args.file, prog, res)
    if args.output is not None:
        _save(args.output, res)
    return 0


def _options(items: list[str]) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise _UsageError(f"--option {item!r}: want KEY=VALUE, e.g. --option shots=1000")
        try:
            options[key.strip()] = json.loads(value)
        except ValueError:
            options[key.strip()] = value
    return options


def _program(rt: Runtime, path: str, ir: str | None) -> Program:
    where = "<stdin>" if path == "-" else path
    try:
        if path == "-":
            src = sys.stdin.buffer.read()
        else:
            with open(path, "rb") as fh:
                src = fh.read()
    except FileNotFoundError:
        raise _Failure(f"no such file: {path}") from None
    except IsADirectoryError:
        raise _Failure(f"{path} is a directory, not a program file") from None
    except OSError as e:
        raise _Failure(f"cannot read {path}: {e.strerror or e}") from None
    try:
        return rt.program(src, ir)
    except UnknownFormatError as e:
        hint = "" if ir else "; name the format with --ir"
        raise _Failure(f"{where}: {_strip(e.message)}{hint}") from None
    except SokrError as e:
        raise _Failure(f"{where}: {_strip(e.message)}") from None


def _strip(message: str) -> str:
    return message[len("sokr: ") :] if message.startswith("sokr: ") else message


def _signature(specs: Sequence[TensorSpec]) -> str:
    return ", ".join(str(s) for s in specs) or "none"


def _inputs(prog: Program, items: list[str]) -> list[np.ndarray[Any, Any]]:
    """Map the --input items to the program's inputs, then load them."""
    declared = prog.inputs
    names = [s.name for s in declared] if declared is not None else None
    named: dict[str, str] = {}
    positional: list[str] = []
    for item in items:
        name, sep, path = item.partition("=")
        if sep and names is not None and name in names:
            if name in named:
                raise _UsageError(f"input {name} is given twice")
            if not path:
                raise _UsageError(f"--input {item!r}: no file after '='")
            named[name] = path
        elif sep and not os.path.exists(item):
            if names is None:
                raise _UsageError(
                    f"--input {item!r}: {prog.format} programs do not declare input names; "
                    f"pass the files in order"
                )
            raise _UsageError(
                f"--input {item!r}: the program has no input named {name!r} "
                f"(its inputs: {_signature(declared or [])})"
            )
        else:
            positional.append(item)
    if names is None or declared is None:
        return [_load(f"input {i}", p) for i, p in enumerate(positional)]

    slots: dict[str, str | None] = {n: named.get(n) for n in names}
    free = [n for n in names if n not in named]
    if len(positional) > len(free):
        raise _UsageError(
            f"too many inputs: the program takes {len(names)} ({_signature(declared)}), got {len(items)}"
        )
    for n, p in zip(free, positional, strict=False):
        slots[n] = p
    missing = [s for s in declared if slots[s.name] is None]
    if missing:
        plural = "s" if len(missing) > 1 else ""
        raise _UsageError(
            f"missing input{plural} {_signature(missing)}; pass --input NAME=FILE.npy "
            f"(the program's inputs: {_signature(declared)})"
        )
    return [_load(f"input {n}", slots[n] or "") for n in names]


def _load(what: str, path: str) -> np.ndarray[Any, Any]:
    """Load one .npy file as a C-contiguous, native-byte-order array."""
    try:
        with open(path, "rb") as fh:
            magic = fh.read(len(_NPY_MAGIC))
            if magic[:4] == _ZIP_MAGIC:
                raise _Failure(f"{what}: {path} is an .npz archive; pass a .npy file (np.save)")
            if magic != _NPY_MAGIC:
                raise _Failure(f"{what}: {path} is not a .npy file (save arrays with np.save)")
            fh.seek(0)
            arr = np.load(fh, allow_pickle=False)
    except FileNotFoundError:
        raise _Failure(f"{what}: no such file: {path}") from None
    except IsADirectoryError:
        raise _Failure(f"{what}: {path} is a directory, not a .npy file") from None
    except OSError as e:
        raise _Failure(f"{what}: cannot read {path}: {e.strerror or e}") from None
    except (ValueError, EOFError) as e:
        raise _Failure(f"{what}: {path} is not a valid .npy file: {e}") from None
    if not isinstance(arr, np.ndarray):
        raise _Failure(f"{what}: {path} does not hold an array")
    if not arr.dtype.isnative:
        arr = arr.astype(arr.dtype.newbyteorder("="))
    return np.asarray(arr, order="C")  # not ascontiguousarray, which makes a 0-d array 1-d


def _jsonable(v: Any) -> Any:
    """A domain value JSON does not take: sokr.photonic's Counts and Probabilities by their
    "|1,0,1>" keys, anything else as its str."""
    return v.strings() if hasattr(v, "strings") else str(v)


def _summary(path: str, prog: Program, res: Result) -> None:
    rows = [(name, _type(arr), _preview(arr)) for name, arr in res.outputs.items()]
    rows += [
        (name, "value", _short(json.dumps(v, default=_jsonable)))
        for name, v in _values(res).items()
        if name not in res.outputs
    ]
    out = [
        f"program    {'<stdin>' if path == '-' else path} ({prog.format})",
        f"substrate  {res.substrate or '?'}",
        f"elapsed    {_seconds(res.timings.elapsed)}",
    ]
    if res.meta:
        out.append("meta       " + ", ".join(f"{k}={v}" for k, v in sorted(res.meta.items())))
    out.append(f"outputs    {len(rows)}")
    w0 = max((len(r[0]) for r in rows), default=0)
    w1 = max((len(r[1]) for r in rows), default=0)
    out += [f"  {a:<{w0}}  {b:<{w1}}  {c}" for a, b, c in rows]
    print("\n".join(out))


def _values(res: Result) -> dict[str, Any]:
    """The domain values (counts, spike trains) of a result: ``domain_values``, called
    ``values`` in earlier versions."""
    for attr in ("domain_values", "values"):
        v = getattr(res, attr, None)
        if isinstance(v, dict):
            return cast("dict[str, Any]", v)
    return {}


def _type(arr: np.ndarray[Any, Any]) -> str:
    return f"{DTYPES.get(arr.dtype, str(arr.dtype))}[{','.join(map(str, arr.shape))}]"


def _preview(arr: np.ndarray[Any, Any]) -> str:
    text = np.array2string(arr, threshold=8, edgeitems=3, precision=6, max_line_width=10**6)
    return _short(" ".join(text.split()))


def _short(text: str, width: int = 72) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def _seconds(s: float) -> str:
    if s < 1e-3:
        return f"{s * 1e6:.0f} µs"
    if s < 1:
        return f"{s * 1e3:.3g} ms"
    return f"{s:.3g} s"


def _save(path: str, res: Result) -> None:
    """Write the outputs to ``path`` atomically: a finished archive or none."""
    arrays: dict[str, np.ndarray[Any, Any]] = dict(res.outputs)
    for name, v in _values(res).items():
        arrays.setdefault(name, np.array(json.dumps(v, default=str)))
    folder = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".sokr-", suffix=".npz")
    except OSError as e:
        raise _Failure(f"cannot write {path}: {e.strerror or e}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **arrays)  # type: ignore[arg-type]
        os.replace(tmp, path)
    except OSError as e:
        raise _Failure(f"cannot write {path}: {e.strerror or e}") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    print(f"saved {len(arrays)} output{'s' if len(arrays) != 1 else ''} to {path}")
