"""Writes the HDF5 fixtures of pkg/internal/hdf5's tests with h5py.

    /tmp/nirvenv/bin/python gen.py   (a venv with h5py and numpy)

Each file holds the same tree in a different on-disk format (superblock 0 with
symbol-table groups, superblock 2 and 3 with link messages and dense groups),
covering the datatypes, layouts and filters the reader supports. The tests
compare what the reader returns with values pinned here from h5py
(want.json) and with h5dump.
"""

import json

import h5py
import numpy as np

def fill(f):
    rng = np.random.default_rng(7)
    f.attrs["title"] = "sokr hdf5 fixture"
    f.attrs["answer"] = np.int32(42)
    f.attrs["ratio"] = np.array([0.5, 0.25])
    g = f.create_group("types")
    g.create_dataset("f64", data=rng.normal(size=(3, 4)))
    g.create_dataset("f32", data=rng.normal(size=(5,)).astype(np.float32))
    g.create_dataset("f16", data=np.array([1.5, -2.25, 65504, 6.1e-5], dtype=np.float16))
    g.create_dataset("f64be", data=np.array([1.0, -3.5, 1e300], dtype=">f8"))
    g.create_dataset("i8", data=np.array([-128, 0, 127], dtype=np.int8))
    g.create_dataset("u16be", data=np.array([1, 65535], dtype=">u2"))
    g.create_dataset("i32", data=np.array([[-5, 6], [7, -8]], dtype=np.int32))
    g.create_dataset("i64", data=np.int64(-9007199254740993))
    g.create_dataset("u64", data=np.array([18446744073709551615], dtype=np.uint64))
    g.create_dataset("bool", data=np.array([True, False, True]))
    g.create_dataset("vlen", data="variable length", dtype=h5py.string_dtype())
    g.create_dataset("vlen2d", data=np.array([["a", "bc"], ["", "déf"]], dtype=object), dtype=h5py.string_dtype())
    g.create_dataset("fixed", data=np.array([b"ab", b"cdef"], dtype="S4"))
    g.create_dataset("empty", data=np.zeros((0, 3)))
    g["f64"].attrs["unit"] = "s"
    l = f.create_group("layouts")
    l.create_dataset("chunked", data=np.arange(200, dtype=np.float64).reshape(20, 10), chunks=(3, 4))
    l.create_dataset("gzip", data=np.arange(300, dtype=np.int32), chunks=(2,), compression="gzip")
    l.create_dataset("shuffle", data=np.linspace(0, 1, 50), chunks=(7,), compression="gzip", shuffle=True, fletcher32=True)
    l.create_dataset("single", data=np.arange(12.0).reshape(3, 4), chunks=(3, 4), compression="gzip")
    l.create_dataset("paged", data=np.arange(1100, dtype=np.int16), chunks=(1,))
    l.create_dataset("unwritten", shape=(4,), dtype=np.float32, chunks=(2,), fillvalue=2.5)
    m = f.create_group("many")
    for i in range(40):
        m.create_dataset(f"d{i:02d}", data=np.float64(i))
    f.create_group("a/b/c/d")


def compact(f):
    # h5py writes compact layout through the low-level API only.
    space = h5py.h5s.create_simple((4,))
    plist = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    plist.set_layout(h5py.h5d.COMPACT)
    d = h5py.h5d.create(f["layouts"].id, b"compact4", h5py.h5t.NATIVE_DOUBLE, space, plist)
    d.write(h5py.h5s.ALL, h5py.h5s.ALL, np.array([1.0, 2.0, 3.0, 4.0]))


def dump(f):
    out = {}

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            v = obj[()]
            if obj.dtype.kind == "O" or obj.dtype.kind == "S":
                flat = [x.decode() if isinstance(x, bytes) else x for x in np.array(v, dtype=object).ravel()]
            else:
                flat = np.array(v).ravel().tolist()
                flat = [float(x) if obj.dtype.kind == "f" else int(x) for x in flat]
            out[name] = {"shape": list(obj.shape), "values": flat}
        else:
            out[name] = {"group": True}

    f.visititems(visit)
    return out


for name, libver in [("v0.h5", "earliest"), ("v2.h5", ("v108", "v108")), ("v3.h5", ("v110", "v110"))]:
    with h5py.File(name, "w", libver=libver) as f:
        fill(f)
        compact(f)
with h5py.File("v0.h5") as f:
    want = dump(f)
with open("want.json", "w") as f:
    json.dump(want, f, indent=0, sort_keys=True, ensure_ascii=False)
    f.write("\n")
