"""Writes notebooks/06-gpu.ipynb.

The notebook embeds its SPIR-V modules (zlib, then base64) so that it runs where no shader
compiler is installed; this script compiles them from GLSL with glslangValidator (Debian:
glslang-tools), so the bytes in the notebook always come from the sources here. Run it after
changing a shader or a cell:

    .venv/bin/python notebooks/gen/06-gpu.py

Cell ids are hashes of the cells' text, so an unchanged cell keeps its id.
"""

from __future__ import annotations

import base64
import hashlib
import pathlib
import subprocess
import tempfile
import textwrap
import zlib

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "notebooks" / "06-gpu.ipynb"

# The SAXPY of the SPIR-V reader's tests: the notebook shows this source and runs its module.
SAXPY_GLSL = (ROOT / "pkg/ir/spirv/testdata/saxpy.comp").read_text()

# A kernel no device can run: 1 MiB of shared memory per workgroup, where devices offer tens of KiB
# (Vulkan guarantees 16) up to a few hundred.
TOO_BIG_GLSL = """\
#version 450
// Reverses each block of 256 through shared memory, but asks for 1 MiB of it.
layout(local_size_x = 256) in;
layout(set = 0, binding = 0) buffer V { float v[]; };
shared float tile[262144];
void main() {
    uint i = gl_GlobalInvocationID.x, l = gl_LocalInvocationID.x;
    tile[l] = v[i];
    barrier();
    v[i] = tile[255 - l];
}
"""


def spirv(glsl: str) -> bytes:
    """Compile a GLSL compute shader to SPIR-V for Vulkan 1.1."""
    with tempfile.TemporaryDirectory() as tmp:
        src, out = pathlib.Path(tmp, "k.comp"), pathlib.Path(tmp, "k.spv")
        src.write_text(glsl)
        subprocess.run(
            ["glslangValidator", "-V", "--target-env", "vulkan1.1", "-o", str(out), str(src)],
            check=True,
            capture_output=True,
        )
        return out.read_bytes()


def embedded(name: str, module: bytes) -> str:
    """A Python assignment that rebuilds ``module`` from a compressed literal."""
    text = base64.b64encode(zlib.compress(module, 9)).decode()
    lines = "\n".join(textwrap.wrap(text, 96))
    return f'{name} = zlib.decompress(base64.b64decode("""\n{lines}\n"""))'


def glsl_block(glsl: str) -> str:
    return "```glsl\n" + glsl.rstrip("\n") + "\n```"


CELLS: list[tuple[str, str]] = [
    (
        "md",
        """\
# GPUs through Vulkan

Every Vulkan device on the machine is a SOKR substrate: `vulkan:0`, `vulkan:1`, ... It runs two
kinds of program:

- **SPIR-V compute modules**, the GPU's own binary format, written in GLSL (or HLSL, Slang, ...)
  and compiled with `glslangValidator`. numpy arrays become the module's storage buffers.
- **Native programs** (`sokr.native/1`, as in notebook 01), which the substrate runs with its
  built-in kernels: the same program runs on `cpu` and on the GPU.

SOKR reaches the GPU through Vulkan, not CUDA, so any GPU with a Vulkan driver is a substrate
(NVIDIA, AMD, Intel). Where there is no GPU, Mesa's **lavapipe** driver (`mesa-vulkan-drivers`)
implements Vulkan on the CPU; that is what runs this notebook in CI, and on a machine with a GPU
the same cells run on the GPU.""",
    ),
    (
        "code",
        """\
import asyncio, base64, struct, zlib
import numpy as np
import sokr

gpus = [s for s in sokr.substrates() if s.kind == "gpu"]
assert gpus, "no Vulkan device: install your GPU's Vulkan driver, or mesa-vulkan-drivers for lavapipe"

def size(nbytes):
    n = float(nbytes)
    for unit in ("B", "KiB", "MiB"):
        if n < 1024:
            return f"{n:.4g} {unit}"
        n /= 1024
    return f"{n:.4g} GiB"

rows = ["device_name", "device_type", "api_version", "memory_bytes", "max_storage_buffer_bytes",
        "max_workgroup_invocations", "max_shared_memory_bytes", "max_push_constant_bytes",
        "float64", "timestamps"]
print(f"{'':26}" + "".join(f"{s.name:>34}" for s in gpus))
for k in rows:
    vals = [s.properties.get(k, "-") for s in gpus]
    print(f"{k:26}" + "".join(f"{size(v) if k.endswith('_bytes') else v:>34}" for v in vals))""",
    ),
    (
        "md",
        """\
`device_type` is `cpu` for lavapipe and `discrete_gpu` or `integrated_gpu` for a real one. The
cells below use a real GPU when there is one, and the first device otherwise.""",
    ),
    (
        "code",
        """\
GPU = next((s.name for s in gpus if s.properties.get("device_type") != "cpu"), gpus[0].name)
GPU""",
    ),
    (
        "md",
        f"""\
## SAXPY in SPIR-V

`y ← a·x + y`, one invocation per element, 256 to a workgroup:

{glsl_block(SAXPY_GLSL)}

The next cell holds this shader compiled with `glslangValidator -V --target-env vulkan1.1`, so that
the notebook does not need the compiler; `sokr.program("saxpy.spv")` reads a compiled file just as
well. SOKR reads the module's bindings, push constants and workgroup size from the SPIR-V itself.""",
    ),
    (
        "code",
        embedded("SAXPY_SPV", spirv(SAXPY_GLSL)) + "\n\nsaxpy = sokr.program(SAXPY_SPV)\nsaxpy.quantities",
    ),
    (
        "md",
        """\
Dispatch it with one array per binding, in (set, binding) order: `X`, then `Y`. The push constants
are bytes laid out as the block (`struct.pack`, or a numpy array). The arrays' dtypes must match
the shader's element types (`float` is `np.float32`, not numpy's default float64); SOKR checks
that, since to the GPU a buffer is raw memory.

Every writable buffer comes back as an output named after its block (`Y`); read-only ones do not,
and your numpy arrays are left as they were.""",
    ),
    (
        "code",
        """\
n = 1 << 20
rng = np.random.default_rng(0)
x = rng.standard_normal(n, dtype=np.float32)
y = rng.standard_normal(n, dtype=np.float32)

res = await sokr.dispatch(saxpy, x, y, substrate=GPU, push_constants=struct.pack("<fI", 2.0, n))
np.testing.assert_allclose(res["Y"], 2.0 * x + y, rtol=1e-6)
res""",
    ),
    (
        "md",
        """\
`meta` says how it ran. By default SOKR launches one invocation per element of the largest
buffer: `groups` is n / 256 workgroups. Pass `groups=(gx, gy, gz)` for another shape (a 2-D
matrix multiply, say), and `entry_point=` for a module with several. `gpu_time_ns` is the kernel's
time by the device's own clock (where `timestamps` is true); `timings.elapsed` adds the copies in
and out and the wait.""",
    ),
    (
        "code",
        """\
print(res.meta)
print(f"kernel {int(res.meta['gpu_time_ns']) / 1e6:.2f} ms, {res.timings.elapsed * 1e3:.2f} ms in all")""",
    ),
    (
        "md",
        f"""\
## When the GPU says no

Capability checks a module against the device before anything runs: the SPIR-V capabilities it
needs (`Float64`, `Int64`, ...), its workgroup size, shared memory and push constants. This
shader asks for 1 MiB of shared memory per workgroup, more than any GPU has:

{glsl_block(TOO_BIG_GLSL)}""",
    ),
    (
        "code",
        embedded("TOO_BIG_SPV", spirv(TOO_BIG_GLSL))
        + """

too_big = sokr.program(TOO_BIG_SPV)
for offer in sokr.capability(too_big):
    if offer.kind == "gpu":
        print(offer.substrate, "can run it" if offer.ok else f"refuses: {offer.reason}")

try:
    sokr.run(too_big, np.ones(256, np.float32), substrate=GPU)
except sokr.NoCapableSubstrateError as e:
    print(type(e).__name__, "-", e)""",
    ),
    (
        "md",
        """\
Inputs that do not fit the module raise `sokr.InvalidInputError`, saying what it expected, and a
damaged module raises `sokr.InvalidProgramError` with the offset of the bad word:""",
    ),
    (
        "code",
        """\
pc = struct.pack("<fI", 2.0, n)
mistakes = {
    "one array for two bindings": ((x,), dict(push_constants=pc)),
    "4 bytes of push constants for an 8-byte block": ((x, y), dict(push_constants=pc[:4])),
    "no workgroups": ((x, y), dict(push_constants=pc, groups=(0, 1, 1))),
    "numpy's default float64 for a float buffer": ((x, np.ones(n)), dict(push_constants=pc)),
}
for what, (arrays, opts) in mistakes.items():
    try:
        sokr.run(saxpy, *arrays, substrate=GPU, **opts)
    except sokr.InvalidInputError as e:
        print(f"{what}:\\n    {e}")

try:
    sokr.program(SAXPY_SPV[:100])
except sokr.InvalidProgramError as e:
    print(f"a truncated module:\\n    {e}")""",
    ),
    (
        "md",
        """\
## One native program, on the CPU and on the GPU

A layer written with `sokr.native` (notebook 01 has the details): a matrix product, a leaky ReLU
and column sums. `substrate=` pins each run; the answers agree to f32 rounding (the two add in
different orders).""",
    ),
    (
        "code",
        """\
import sokr.native as sn

b = sn.Builder()
a = b.param("a", "f32", (256, 512))
w = b.param("w", "f32", (512, 128))
z = a @ w
h = sn.where(z > 0, z, 0.01 * z)
layer = b.build(h=h, colsum=h.sum(axis=0))

A = rng.standard_normal((256, 512), dtype=np.float32)
W = rng.standard_normal((512, 128), dtype=np.float32) / np.float32(np.sqrt(512))
on_cpu = sokr.run(layer, A, W, substrate="cpu")
on_gpu = sokr.run(layer, A, W, substrate=GPU)
for name in on_cpu:
    np.testing.assert_allclose(on_gpu[name], on_cpu[name], rtol=1e-5, atol=1e-4)
    print(f"{name:7} max |gpu - cpu| = {np.abs(on_gpu[name] - on_cpu[name]).max():.1e}")""",
    ),
    (
        "md",
        """\
The GPU kernels compute `f32` and `bool`, and `f64` where the device has it (`float64` in the
table above): matrix products, reductions, transposes and arithmetic, but not `exp`, `log`,
`tanh`, `sin`, `cos` or `pow`, which GLSL defines for `f32` only. Given what it cannot do, the
substrate refuses and names the node; without `substrate=`, the runtime picks one that can:""",
    ),
    (
        "code",
        """\
b = sn.Builder()
v = b.param("v", "f64", (4,))
double = b.build(out=sn.exp(2 * v))
print([o.reason for o in sokr.capability(double) if o.substrate == GPU])
sokr.run(double, np.arange(4.0)).substrate""",
    ),
    (
        "md",
        """\
## One circuit, on the CPU and on the GPU

An OpenQASM circuit runs on the `statevec` substrate (the CPU) or on any Vulkan device: the state
vector then lives in the GPU's memory, the gates are fused into passes by the same planner as on
the CPU, and only probabilities or expectation values come back. `substrate=` pins the run. The
GPU computes in complex64 by default, as CUDA-Q's `nvidia` target does (`precision="complex128"`
where `float64` is true above). With the same seed, both draw the same counts from the same
probabilities:""",
    ),
    (
        "code",
        """\
from sokr import quantum

qubits = 12
ghz = "\\n".join(["OPENQASM 3.0;", 'include "stdgates.inc";', f"qubit[{qubits}] q;", "h q[0];",
                  *(f"cx q[{i}], q[{i + 1}];" for i in range(qubits - 1))])
on_cpu = quantum.sample(ghz, shots_count=2000, seed=7, substrate="statevec", precision="complex64")
on_gpu = quantum.sample(ghz, shots_count=2000, seed=7, substrate=GPU)
print(on_cpu.substrate, dict(on_cpu.items()))
print(on_gpu.substrate, dict(on_gpu.items()), on_gpu.meta["precision"])""",
    ),
    (
        "md",
        """\
The amplitudes agree to complex64 rounding, and so do expectation values, which the GPU reduces
on the device:""",
    ),
    (
        "code",
        """\
from sokr.quantum import spin

ansatz = "\\n".join(["OPENQASM 3.0;", 'include "stdgates.inc";', "input float theta;", "qubit[10] q;",
                     *(f"ry(theta * {i + 1}) q[{i}];" for i in range(10)),
                     *(f"cx q[{i}], q[{i + 1}];" for i in range(9))])
cpu_state = np.asarray(quantum.get_state(ansatz, 0.3, substrate="statevec"))
gpu_state = np.asarray(quantum.get_state(ansatz, 0.3, substrate=GPU))
print(f"max |gpu - cpu| amplitude: {np.abs(gpu_state - cpu_state).max():.1e}")
zz_x = spin.z(0) * spin.z(1) + 0.5 * spin.x(3)
print([quantum.observe(ansatz, zz_x, 0.3, substrate=s).expectation() for s in ("statevec", GPU)])""",
    ),
    (
        "md",
        """\
Without `substrate=`, the runtime's default policy (`auto`) keeps a circuit on the first
substrate that can run it, `statevec`, unless that estimates the run at 20 ms or more: then
every substrate that estimates is asked, and the circuit goes where it is estimated to finish
first. Each substrate measures its own estimate's constants on first use, by running circuits
(a GPU's launch latency makes it lose on small states and win on large ones). A CPU driver such
as lavapipe gives no estimate, since it runs on the cores `statevec` uses, so here the circuit
stays on the CPU; on a machine with a GPU a large one goes there. The result says where it ran:""",
    ),
    (
        "code",
        """\
print([(o.substrate, o.estimate_seconds) for o in sokr.capability(sokr.program(ghz)) if o.ok])
quantum.sample(ghz, shots_count=10).substrate""",
    ),
    (
        "md",
        """\
## A spiking network on the GPU

`sokr.neuro` runs a NIR graph on a Vulkan device when `substrate=` names it, with the `snn`
substrate's semantics option for option. Here a recurrent LIF layer: 256 inputs, 512 neurons
feeding back onto themselves, 200 steps of a batch of 4. The GPU gives the CPU's spikes, and its
voltages to f32 rounding:""",
    ),
    (
        "code",
        """\
from sokr import neuro

srng = np.random.default_rng(2)
n_in, n_lif = 256, 512
net = {
    "nodes": {
        "in": {"type": "Input", "shape": [n_in]},
        "fc": {"type": "Linear", "weight": srng.normal(0.04, 0.15, (n_lif, n_in))},
        "lif": {"type": "LIF", "tau": np.full(n_lif, 5e-3), "r": np.ones(n_lif), "v_leak": np.zeros(n_lif),
                "v_threshold": np.ones(n_lif)},
        "rec": {"type": "Linear", "weight": srng.normal(0, 0.05, (n_lif, n_lif))},
        "out": {"type": "Output", "shape": [n_lif]},
    },
    "edges": [["in", "fc"], ["fc", "lif"], ["lif", "rec"], ["rec", "lif"], ["lif", "out"]],
}
spikes_in = (srng.random((200, 4, n_in)) < 0.1).astype(np.float32)  # 10% of the inputs spike
cpu = neuro.run(net, spikes_in, dt=1e-3, record=["lif.v"], substrate="snn")
gpu = neuro.run(net, spikes_in, dt=1e-3, record=["lif.v"], substrate=GPU)
print(f"{int(cpu.value.sum())} spikes on the CPU; the GPU's equal: {np.array_equal(cpu.value, gpu.value)}")
print(f"max |gpu - cpu| voltage: {np.abs(gpu.probes['lif.v'] - cpu.probes['lif.v']).max():.1e}")""",
    ),
    (
        "md",
        """\
Propagation is event-driven where it pays: the recurrent layer's products, one per step of 4
rows, read only the weight rows of the neurons that spiked (`propagation="event"` asks for it
everywhere, `"dense"` nowhere); the input layer's products over all 200 steps are one matrix
product. `meta["propagation"]` says what ran:""",
    ),
    (
        "code",
        """\
print(gpu.meta["propagation"], cpu.meta["propagation"])
print(neuro.run(net, spikes_in, dt=1e-3, substrate=GPU, propagation="dense").meta["propagation"])""",
    ),
    (
        "md",
        """\
## Many dispatches at once

`sokr.dispatch` returns a future at once, so a sweep is a list of futures to `await` together
(`asyncio.gather`, or `sokr.gather` outside asyncio). The GPU runs them in turn while Python is free;
here four SAXPYs and the layer on the CPU, all in flight together.""",
    ),
    (
        "code",
        """\
alphas = [0.5, 1.0, 2.0, 4.0]
sweep = [sokr.dispatch(saxpy, x, y, substrate=GPU, push_constants=struct.pack("<fI", al, n))
         for al in alphas]
*results, cpu_layer = await asyncio.gather(*sweep, sokr.dispatch(layer, A, W, substrate="cpu"))
for al, r in zip(alphas, results, strict=True):
    np.testing.assert_allclose(r["Y"], al * x + y, rtol=1e-6)
[r.substrate for r in results], cpu_layer.substrate""",
    ),
    (
        "md",
        """\
## Debugging a shader

Set `SOKR_VULKAN_VALIDATION=1` before SOKR starts (before `import sokr`, or in the shell that
starts Jupyter) to run under the Khronos validation layer (Debian's `vulkan-validationlayers`,
or the Vulkan SDK). What it reports collects here, by device, and is cleared when read:""",
    ),
    ("code", "sokr.default_runtime().validation_messages()"),
]


def main() -> None:
    nb = new_notebook(
        metadata={"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}}
    )
    for kind, text in CELLS:
        cell = new_markdown_cell(text) if kind == "md" else new_code_cell(text)
        cell.id = hashlib.sha1(text.encode()).hexdigest()[:8]
        nb.cells.append(cell)
    nbformat.validate(nb)
    nbformat.write(nb, OUT)
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
