// Package hdf5 is a read-only reader for the subset of HDF5 that NIR files
// (and most files h5py writes) use, in pure Go: no libhdf5, no cgo.
//
// # Overview
//
// Decode reads a whole file held in memory into a tree of Objects: groups
// with their members, datasets with their values, and the attributes kept
// in object headers. NIR files are small (kilobytes to a few megabytes), so
// reading everything at once keeps the API to one call.
//
// # Supported subset
//
//   - Superblock versions 0 to 3, user blocks (superblock at 512, 1024, ...).
//   - Object headers version 1 and 2, with continuation blocks.
//   - Groups: old-style symbol tables (v1 B-tree, local heap), new-style
//     link messages, and dense link storage (fractal heap, v2 B-tree).
//     Soft and external links are skipped.
//   - Datasets: compact, contiguous and chunked layouts (layout messages 3
//     and 4; chunk indexes v1 B-tree, single chunk, implicit, fixed array),
//     filters deflate (gzip), shuffle and fletcher32, fill values.
//   - Elements: integers (1 to 8 bytes, either byte order), IEEE floats
//     (2, 4, 8 bytes), fixed-length and variable-length strings,
//     enumerations over integers (h5py's booleans) read as integers.
//
// Refused with an Unsupported FormatError: compound, array, reference,
// opaque and variable-length sequence types, virtual datasets,
// extensible-array and v2 B-tree chunk indexes (datasets with unlimited
// dimensions), other compression filters, shared (committed) datatypes.
// Attributes of unsupported types, and attributes in dense storage, are
// left out.
//
// # Errors and limits
//
// Every error is a *FormatError with the absolute byte offset of the
// structure at fault. Every read is bounds-checked; v2 structures'
// checksums are verified; cycles (of B-tree nodes, continuation blocks or
// hard links) are refused; Limits cap the bytes of values, the decoded
// chunk bytes, the number of objects and the nesting, so a malformed or
// hostile file fails fast instead of panicking, hanging or exhausting
// memory.
package hdf5
