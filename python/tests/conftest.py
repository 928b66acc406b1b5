from __future__ import annotations

import numpy as np
import pytest

import sokr

AXPY = """sokr.native/1
param x: f32[4]
param y: f32[4]
a: f32[] = const 2
ax: f32[4] = mul a, x
out: f32[4] = add ax, y
return out
"""

# Long enough (three 1200^3 f64 matrix products) to be cancelled or timed out mid-run.
SLOW = """sokr.native/1
param x: f64[1200,1200]
y: f64[1200,1200] = matmul x, x
z: f64[1200,1200] = matmul y, y
w: f64[1200,1200] = matmul z, z
return w
"""


@pytest.fixture
def axpy() -> sokr.Program:
    return sokr.program(AXPY)


@pytest.fixture
def slow() -> sokr.Program:
    return sokr.program(SLOW)


@pytest.fixture
def ones4() -> np.ndarray:
    return np.ones(4, np.float32)
