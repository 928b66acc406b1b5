"""Perceval front-end: a ``Circuit``, ``Processor`` or ``Experiment`` as a photonic program.

The conversion reads the components one by one (flattened, in the order light meets them):

- ``BS`` in the Rx convention becomes ``bs`` with its θ and four phases (the IR's beam
  splitter is Perceval's, pkg/ir/photonic says so); Ry and H beam splitters, ``PERM``,
  ``Unitary`` and any other linear component without polarization become ``unitary`` with
  the component's own matrix (``compute_unitary``);
- ``PS`` becomes ``ps`` (a ``max_error`` other than 0, Perceval's random phase error, is
  refused: a run would not be reproducible);
- ``LC(loss)`` becomes ``loss`` with η = 1 - loss; ``Barrier`` is skipped;
- a processor's detectors become ``detect threshold`` (threshold detectors) or stay PNR;
- a processor's noise model gives a uniform loss channel of η = transmittance x brightness
  (both thin each photon independently); its other imperfections are refused.

What the IR has no counterpart for is refused with :class:`UnsupportedComponentError` (an
:class:`sokr.InvalidProgramError`) naming the component: polarization components, time
delays, heralded modes, post-selection, feed-forward, PPNR detectors, partially
distinguishable photons, and symbolic parameters without a value.
"""

from __future__ import annotations

import importlib
import math
from typing import Any

import numpy as np

from .. import errors
from ._builder import Builder
from ._results import fock, fock_string


class UnsupportedComponentError(errors.InvalidProgramError):
    """A Perceval component or setting that a photonic program cannot express; ``component``
    names it and ``modes`` says where it sits."""

    @property
    def component(self) -> str | None:
        return self.detail.get("component")

    @property
    def modes(self) -> tuple[int, ...] | None:
        m = self.detail.get("modes")
        return tuple(m) if m is not None else None


def is_perceval(obj: Any) -> bool:
    """Whether ``obj`` is an object of Perceval's (without importing Perceval)."""
    return type(obj).__module__.split(".", 1)[0] == "perceval"


def _refuse(what: str, why: str, modes: Any = None) -> UnsupportedComponentError:
    where = f" on modes {tuple(modes)}" if modes is not None else ""
    return UnsupportedComponentError(
        f"sokr.photonic: cannot convert Perceval's {what}{where}: {why}",
        component=what,
        modes=None if modes is None else list(modes),
    )


def _value(comp: Any, name: str, modes: Any) -> float:
    p = comp.param(name)
    if not p.defined:
        raise _refuse(
            f"{comp.describe()}",
            f"parameter {name} ({p.name}) has no value; set it (P.set_value) first",
            modes,
        )
    return float(p)


def _matrix(comp: Any, modes: Any) -> np.ndarray[Any, Any]:
    if not comp.defined:
        free = ", ".join(sorted(p.name for p in comp.get_parameters(all_params=True) if not p.defined))
        raise _refuse(comp.describe(), f"it has parameters without a value ({free})", modes)
    return np.asarray(comp.compute_unitary(use_symbolic=False), dtype=np.complex128)


def _experiment(obj: Any) -> Any | None:
    """The Experiment behind a Processor (Perceval 1.x), the Experiment itself, or None for a
    bare circuit."""
    exp = getattr(obj, "experiment", None)
    if exp is not None:
        return exp
    if hasattr(obj, "flatten") and hasattr(obj, "heralds"):
        return obj
    return None


def _input(state: Any, m: int) -> tuple[int, ...]:
    if getattr(state, "has_annotations", False):
        raise _refuse(
            f"input state {state}", "annotated photons (polarization, distinguishability) are not modelled"
        )
    try:
        s = fock(list(state) if not isinstance(state, str) else state)
    except (TypeError, ValueError) as e:
        raise errors.InvalidInputError(f"input_state: {e}", name="input_state") from None
    if len(s) != m:
        raise errors.InvalidInputError(
            f"input_state {fock_string(s)} has {len(s)} modes; the circuit has {m}", name="input_state"
        )
    return s


def _has_condition(ps: Any) -> bool:
    """Whether a post-selection filters anything (Perceval keeps an empty one by default)."""
    if ps is None:
        return False
    return bool(getattr(ps, "has_condition", True))


def _noise(exp: Any) -> float:
    """The uniform transmissivity a noise model stands for; other imperfections refused."""
    nm = getattr(exp, "noise", None)
    if nm is None:
        return 1.0
    checks = (
        ("indistinguishability", 1.0),
        ("g2", 0.0),
        ("phase_imprecision", 0.0),
        ("phase_error", 0.0),
    )
    for name, ideal in checks:
        v = getattr(nm, name, ideal)
        if not math.isclose(float(v), ideal, abs_tol=0.0):
            raise _refuse(
                f"NoiseModel({name}={v})", "only transmittance and brightness are modelled (as loss)"
            )
    return float(getattr(nm, "transmittance", 1.0)) * float(getattr(nm, "brightness", 1.0))


def from_perceval(obj: Any, input_state: Any = None) -> Builder:
    """A :class:`Builder` for a Perceval ``Circuit``, ``Processor`` or ``Experiment``.

    ``input_state`` (a ``BasicState``, a tuple or ``"|1,0,1>"``) is needed for a bare circuit
    and replaces a processor's own input. See the module's text for what converts and what
    is refused (:class:`UnsupportedComponentError`).

    >>> import perceval as pcvl
    >>> from sokr import photonic
    >>> c = pcvl.Circuit(2) // pcvl.BS() // (1, pcvl.PS(0.5))
    >>> print(photonic.from_perceval(c, (1, 0)).text(), end="")
    sokr.photonic/1
    modes 2
    input |1,0>
    bs 0, 1, theta=1.5707963267948966
    ps 1, phi=0.5
    """
    pcvl = importlib.import_module("perceval")
    exp = _experiment(obj)
    if exp is None and not isinstance(obj, pcvl.ACircuit):
        raise TypeError(
            f"from_perceval takes a Perceval Circuit, Processor or Experiment, not {type(obj).__name__}"
        )
    m = int(exp.m if exp is not None else obj.m)
    state = input_state
    if state is None and exp is not None:
        state = exp.input_state
    if state is None:
        raise errors.InvalidInputError(
            "a Perceval circuit has no input state: pass input_state=(1, 0, ...) or use a Processor "
            "with_input",
            name="input_state",
        )
    b = Builder(m, _input(state, m))
    eta = 1.0
    if exp is not None:
        for what, present in (
            ("heralded modes", bool(exp.heralds)),
            ("post-selection", _has_condition(exp.post_select_fn)),
            ("feed-forward", bool(getattr(exp, "has_feedforward", False))),
        ):
            if present:
                raise _refuse(what, "a photonic program has no counterpart (it samples every outcome)")
        min_photons = getattr(exp, "min_photons_filter", 0) or 0
        if min_photons > 0:
            raise _refuse(
                f"min_detected_photons_filter({min_photons})",
                "a photonic program keeps every outcome (filter the results instead)",
            )
        eta = _noise(exp)
        components = [(tuple(r), c) for r, c in exp.flatten()]
    else:
        components = [(tuple(r), c) for r, c in obj]
    for r, comp in components:
        _add(pcvl, b, r, comp)
    if eta < 1.0:
        b.loss(eta)
    if exp is not None:
        _detectors(pcvl, b, exp.detectors)
    return b


def _add(pcvl: Any, b: Builder, r: tuple[int, ...], comp: Any) -> None:
    name = type(comp).__name__
    if isinstance(comp, pcvl.Barrier):
        return
    if isinstance(comp, pcvl.LC):
        loss = float(comp.param("loss")) if comp.param("loss").defined else None
        if loss is None:
            raise _refuse(comp.describe(), "its loss has no value", r)
        b.loss(1.0 - loss, list(r))
        return
    if isinstance(comp, pcvl.TD):
        raise _refuse(comp.describe(), "time delays are not modelled", r)
    if not isinstance(comp, pcvl.ACircuit):
        raise _refuse(name, "not a linear-optics component the IR has", r)
    if getattr(comp, "requires_polarization", False):
        raise _refuse(comp.describe(), "polarization is not modelled", r)
    if isinstance(comp, pcvl.BS) and comp.convention == pcvl.BSConvention.Rx:
        theta, tl, bl, tr, br = (
            _value(comp, k, r) for k in ("theta", "phi_tl", "phi_bl", "phi_tr", "phi_br")
        )
        b.bs(r[0], r[1], theta, phi_tl=tl, phi_bl=bl, phi_tr=tr, phi_br=br)
        return
    if isinstance(comp, pcvl.PS):
        phi = _value(comp, "phi", r)
        if "max_error" in comp.params and _value(comp, "max_error", r) != 0:
            raise _refuse(comp.describe(), "a random phase error (max_error) is not modelled", r)
        b.ps(r[0], phi)
        return
    b.unitary(list(r), _matrix(comp, r))


def _detectors(pcvl: Any, b: Builder, detectors: Any) -> None:
    threshold = []
    for mode, d in enumerate(detectors or []):
        if d is None:
            continue
        kind = getattr(d, "type", None)
        if kind == pcvl.DetectionType.Threshold:
            threshold.append(mode)
        elif kind != pcvl.DetectionType.PNR:
            raise _refuse(f"detector {kind}", "only PNR and threshold detectors are modelled", (mode,))
    if threshold:
        b.detect("threshold", threshold)
