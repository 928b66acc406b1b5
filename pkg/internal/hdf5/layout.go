package hdf5

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"io"
	"slices"
	"strconv"
)

// dataset reads a dataset's values: its dataspace, datatype, fill value,
// filters and data layout (compact, contiguous or chunked).
func (f *file) dataset(h *header) (*Value, error) {
	var msgs [msgSymbolTable + 1]*message
	for _, typ := range []uint16{msgDataspace, msgDatatype, msgLayout, msgFilters, msgFill, msgFillOld} {
		m := h.find(typ)
		if m != nil && m.shared() {
			return nil, unsupported(m.at, "shared (committed) header messages")
		}
		msgs[typ] = m
	}
	if msgs[msgDataspace] == nil || msgs[msgDatatype] == nil {
		return nil, errorf(h.at, "dataset has no dataspace or no datatype message")
	}
	tc := msgs[msgDatatype].cursor(f)
	t := f.datatype(tc, 0)
	if tc.err != nil {
		return nil, tc.err
	}
	sc := msgs[msgDataspace].cursor(f)
	shape, n, maxShape := dataspaceMax(sc)
	if sc.err != nil {
		return nil, sc.err
	}
	if n > uint64(f.budget)/uint64(t.size) {
		return nil, errorf(h.at, "dataset of %d elements of %d bytes exceeds the limit of %d bytes", n, t.size, f.lim.MaxBytes)
	}
	size := int(n) * t.size
	fill, err := f.fillValue(msgs[msgFill], msgs[msgFillOld], t.size)
	if err != nil {
		return nil, err
	}
	var filters []filter
	if m := msgs[msgFilters]; m != nil {
		if filters, err = f.filterPipeline(m); err != nil {
			return nil, err
		}
	}
	if err := f.alloc(uint64(size), h.at); err != nil {
		return nil, err
	}
	raw := make([]byte, size)
	if fill != nil {
		for i := 0; i < size; i += t.size {
			copy(raw[i:], fill)
		}
	}
	d := &chunked{f: f, shape: shape, maxShape: maxShape, esize: t.size, filters: filters, out: raw}
	if err := d.read(msgs[msgLayout]); err != nil {
		return nil, err
	}
	return f.decode(t, shape, raw, int(n), h.at)
}

// fillValue returns the fill value of a dataset's unwritten elements, or
// nil for zeros.
func (f *file) fillValue(m, old *message, esize int) ([]byte, error) {
	var v []byte
	switch {
	case m != nil:
		c := m.cursor(f)
		switch version := c.u8(); version {
		case 1, 2:
			c.skip(2) // allocation and write times
			if c.u8() == 0 && version == 2 {
				return nil, c.err // undefined
			}
		case 3:
			flags := c.u8()
			if flags&0x20 == 0 {
				return nil, c.err
			}
		default:
			if c.err == nil {
				return nil, unsupported(m.at, "fill value message version %d", version)
			}
		}
		if n := c.u32(); n > 0 || c.err != nil {
			v = c.take(int(min(n, 1<<16)))
		}
		if c.err != nil {
			return nil, c.err
		}
	case old != nil:
		c := old.cursor(f)
		v = c.take(int(min(c.u32(), 1<<16)))
		if c.err != nil {
			return nil, c.err
		}
	}
	if len(v) == 0 || !slices.ContainsFunc(v, func(b byte) bool { return b != 0 }) {
		return nil, nil
	}
	if len(v) != esize {
		return nil, errorf(m.at, "fill value of %d bytes for elements of %d", len(v), esize)
	}
	return v, nil
}

// filter is one stage of a dataset's filter pipeline.
type filter struct {
	id    uint16
	cdata []uint32
}

// The filters this reader applies (H5Zpublic.h).
const (
	filterDeflate    = 1
	filterShuffle    = 2
	filterFletcher32 = 3
)

func (f *file) filterPipeline(m *message) ([]filter, error) {
	c := m.cursor(f)
	version, n := c.u8(), int(c.u8())
	if version == 1 {
		c.skip(6)
	} else if version != 2 && c.err == nil {
		return nil, unsupported(m.at, "filter pipeline version %d", version)
	}
	var out []filter
	for range n {
		at := c.off()
		id := c.u16()
		nameLen := 0
		if version == 1 || id >= 256 {
			nameLen = int(c.u16())
		}
		c.skip(2) // flags
		ncd := int(c.u16())
		if version == 1 {
			nameLen = (nameLen + 7) &^ 7
		}
		c.skip(nameLen)
		cd := make([]uint32, 0, min(ncd, 16))
		for range ncd {
			cd = append(cd, c.u32())
		}
		if version == 1 && ncd%2 == 1 {
			c.skip(4)
		}
		if c.err != nil {
			return nil, c.err
		}
		if id != filterDeflate && id != filterShuffle && id != filterFletcher32 {
			names := map[uint16]string{4: "szip", 5: "nbit", 6: "scale-offset", 32000: "lzf", 32001: "blosc", 32004: "lz4", 32015: "zstd"}
			name := names[id]
			if name == "" {
				name = "filter " + strconv.Itoa(int(id))
			}
			return nil, unsupported(at, "%s compression (only gzip/deflate, shuffle and fletcher32 are read)", name)
		}
		out = append(out, filter{id: id, cdata: cd})
	}
	return out, nil
}

// chunked copies a dataset's stored data into out.
type chunked struct {
	f        *file
	shape    []int
	maxShape []uint64
	esize    int
	filters  []filter
	out      []byte
	cdims    []int // chunk dimensions, in elements
}

// read dispatches on the data layout message.
func (d *chunked) read(m *message) error {
	f := d.f
	c := m.cursor(f)
	version, class := c.u8(), c.u8()
	if c.err != nil {
		return c.err
	}
	if version != 3 && version != 4 {
		return unsupported(m.at, "data layout message version %d", version)
	}
	switch class {
	case 0: // compact: the data is in the message
		n := int(c.u16())
		data := c.take(n)
		if c.err != nil {
			return c.err
		}
		if n < len(d.out) {
			return errorf(m.at, "compact data of %d bytes for a dataset of %d", n, len(d.out))
		}
		copy(d.out, data)
		return nil
	case 1: // contiguous
		addr, size := c.addr(), c.length()
		if c.err != nil {
			return c.err
		}
		if addr == undef || len(d.out) == 0 {
			return nil // never written: the fill value
		}
		if size < uint64(len(d.out)) {
			return errorf(m.at, "contiguous data of %d bytes for a dataset of %d", size, len(d.out))
		}
		dc, err := f.seek(addr, int64(len(d.out)), m.at, "contiguous data")
		if err != nil {
			return err
		}
		copy(d.out, dc.b)
		return nil
	case 2:
	case 3:
		return unsupported(m.at, "virtual datasets")
	default:
		return errorf(m.at, "data layout class %d", class)
	}
	// Chunked.
	flags, index := uint8(0), uint8(1) // version 3: a version-1 B-tree
	var dims []uint64
	if version == 3 {
		rank := int(c.u8())
		addr := c.addr()
		for range rank {
			dims = append(dims, uint64(c.u32()))
		}
		if c.err != nil {
			return c.err
		}
		if err := d.setChunkDims(dims, m.at); err != nil {
			return err
		}
		return d.btree1(addr, m.at)
	}
	flags = c.u8()
	rank, enc := int(c.u8()), int(c.u8())
	if c.err == nil && (enc < 1 || enc > 8) {
		return errorf(m.at, "chunk dimensions encoded in %d bytes", enc)
	}
	for range rank {
		dims = append(dims, c.uint(enc))
	}
	index = c.u8()
	if c.err != nil {
		return c.err
	}
	if err := d.setChunkDims(dims, m.at); err != nil {
		return err
	}
	switch index {
	case 1: // single chunk
		size, mask := uint64(d.chunkBytes()), uint32(0)
		if flags&2 != 0 {
			size, mask = c.length(), c.u32()
		}
		addr := c.addr()
		if c.err != nil {
			return c.err
		}
		return d.chunk(make([]uint64, len(d.cdims)), addr, size, mask, m.at)
	case 2: // implicit: every chunk, in order, unfiltered
		addr := c.addr()
		if c.err != nil || addr == undef {
			return c.err
		}
		grid, count := d.gridDims()
		if count > uint64(len(f.data))/uint64(d.chunkBytes()) {
			return errorf(m.at, "%d implicit chunks of %d bytes do not fit in the file", count, d.chunkBytes())
		}
		for i := range count {
			a := addr + i*uint64(d.chunkBytes())
			if err := d.chunk(d.chunkOffset(grid, i), a, uint64(d.chunkBytes()), 0, m.at); err != nil {
				return err
			}
		}
		return nil
	case 3: // fixed array
		c.skip(1) // page bits (also in the array header)
		addr := c.addr()
		if c.err != nil || addr == undef {
			return c.err // undefined: no chunk written yet
		}
		return d.fixedArray(addr, m.at)
	case 4:
		return unsupported(m.at, "extensible-array chunk index (datasets with one unlimited dimension)")
	case 5:
		return unsupported(m.at, "v2 B-tree chunk index (datasets with several unlimited dimensions)")
	}
	return errorf(m.at, "chunk index type %d", index)
}

// setChunkDims takes the chunk dimensions of a layout message: one per
// dataset dimension, then the element size.
func (d *chunked) setChunkDims(dims []uint64, at int64) error {
	if len(dims) != len(d.shape)+1 || len(d.shape) == 0 {
		return errorf(at, "chunks of rank %d for a dataset of rank %d", len(dims)-1, len(d.shape))
	}
	n := uint64(d.esize)
	if dims[len(dims)-1] != n {
		return errorf(at, "chunk element size %d, the datatype's is %d", dims[len(dims)-1], n)
	}
	d.cdims = make([]int, len(d.shape))
	for i, x := range dims[:len(d.shape)] {
		if x == 0 || x > 1<<32 || n*x > 1<<30 || n*x > uint64(d.f.lim.MaxBytes) {
			return errorf(at, "chunk dimensions %v are zero or too large", dims[:len(d.shape)])
		}
		n *= x
		d.cdims[i] = int(x)
	}
	return nil
}

func (d *chunked) chunkBytes() int {
	n := d.esize
	for _, x := range d.cdims {
		n *= x
	}
	return n
}

// gridDims is the number of chunks along each dimension, over the maximum
// dimensions when they are fixed (a fixed array indexes those), and their
// product (saturating at 1<<62).
func (d *chunked) gridDims() ([]uint64, uint64) {
	dims := make([]uint64, len(d.shape))
	count := uint64(1)
	for i, x := range d.shape {
		n := uint64(x)
		if d.maxShape != nil && d.maxShape[i] != undef && d.maxShape[i] > n {
			n = d.maxShape[i]
		}
		dims[i] = (n + uint64(d.cdims[i]) - 1) / uint64(d.cdims[i])
		if dims[i] != 0 && count > (1<<62)/dims[i] {
			count = 1 << 62
		} else {
			count *= dims[i]
		}
	}
	return dims, count
}

// chunkOffset is the element offset of chunk i of the row-major grid.
func (d *chunked) chunkOffset(grid []uint64, i uint64) []uint64 {
	off := make([]uint64, len(grid))
	for k := len(grid) - 1; k >= 0; k-- {
		off[k] = i % grid[k] * uint64(d.cdims[k])
		i /= grid[k]
	}
	return off
}

// btree1 walks a version-1 B-tree of chunks.
func (d *chunked) btree1(addr uint64, from int64) error {
	if addr == undef {
		return nil // no chunk written yet
	}
	rank := len(d.cdims)
	visited := map[uint64]bool{}
	var walk func(addr uint64, from int64, depth int) error
	walk = func(addr uint64, from int64, depth int) error {
		c, level, n, err := d.f.btree1Node(addr, from, depth, visited, "chunk", 1)
		if err != nil {
			return err
		}
		for range n {
			at := c.off()
			size, mask := c.u32(), c.u32()
			off := make([]uint64, rank)
			for k := range off {
				off[k] = c.u64()
			}
			c.u64() // the element-size dimension, always 0
			child := c.addr()
			if c.err != nil {
				return c.err
			}
			if level > 0 {
				err = walk(child, at, depth+1)
			} else {
				err = d.chunk(off, child, uint64(size), mask, at)
			}
			if err != nil {
				return err
			}
		}
		return c.err
	}
	return walk(addr, from, 0)
}

// fixedArray reads a fixed-array chunk index (FAHD and its data block).
func (d *chunked) fixedArray(addr uint64, from int64) error {
	f := d.f
	c, err := f.seek(addr, -1, from, "fixed array header")
	if err != nil {
		return err
	}
	c.signature("FAHD")
	c.skip(1) // version
	client, entrySize, pageBits := c.u8(), int(c.u8()), c.u8()
	count, dblock := c.length(), c.addr()
	c.checksum(0)
	if c.err != nil {
		return c.err
	}
	want := f.osize
	if client == 1 {
		want = f.osize + 1 + 4 // at least one byte of chunk size
	}
	grid, chunks := d.gridDims()
	if client > 1 || entrySize < want || entrySize > f.osize+8+4 || pageBits > 32 || count != chunks {
		return errorf(c.at, "fixed array header is invalid (client %d, %d-byte entries, %d entries for %d chunks)", client, entrySize, count, chunks)
	}
	if count > uint64(len(f.data)/entrySize) {
		return errorf(c.at, "fixed array of %d entries does not fit in the file", count)
	}
	bc, err := f.seek(dblock, -1, c.at, "fixed array data block")
	if err != nil {
		return err
	}
	bc.signature("FADB")
	bc.skip(2) // version, client
	bc.addr()  // header address
	pageLen := uint64(1) << pageBits
	paged := count > pageLen
	var bitmap []byte
	if paged {
		bitmap = bc.take(int((count/pageLen + 8) / 8))
		bc.checksum(0)
	}
	entry := func(ec *cursor, i uint64) error {
		at := ec.off()
		a, size, mask := ec.addr(), uint64(d.chunkBytes()), uint32(0)
		if client == 1 {
			size, mask = ec.uint(entrySize-f.osize-4), ec.u32()
		}
		if ec.err != nil {
			return ec.err
		}
		return d.chunk(d.chunkOffset(grid, i), a, size, mask, at)
	}
	if !paged {
		start := bc.pos
		bc.skip(int(count) * entrySize)
		bc.checksum(0)
		if bc.err != nil {
			return bc.err
		}
		ec := &cursor{b: bc.b[start:], at: bc.at + int64(start), osize: f.osize, lsize: f.lsize}
		for i := range count {
			if err := entry(ec, i); err != nil {
				return err
			}
		}
		return nil
	}
	if bc.err != nil {
		return bc.err
	}
	for p := 0; uint64(p)*pageLen < count; p++ {
		n := int(min(pageLen, count-uint64(p)*pageLen))
		start := bc.pos
		bc.skip(n * entrySize)
		bc.checksum(start)
		if bc.err != nil {
			return bc.err
		}
		if bitmap[p/8]&(0x80>>(p%8)) == 0 {
			continue // page never written: its chunks hold the fill value
		}
		ec := &cursor{b: bc.b[start:], at: bc.at + int64(start), osize: f.osize, lsize: f.lsize}
		for i := range uint64(n) {
			if err := entry(ec, uint64(p)*pageLen+i); err != nil {
				return err
			}
		}
	}
	return nil
}

// chunk reads one stored chunk at element offset off, undoes its filters
// and copies the part inside the dataset into out.
func (d *chunked) chunk(off []uint64, addr, size uint64, mask uint32, at int64) error {
	if addr == undef {
		return nil // never written
	}
	for k, o := range off {
		if o >= uint64(d.shape[k]) {
			if d.maxShape != nil && o < d.maxShape[k] {
				return nil // allocated beyond the current extent
			}
			return errorf(at, "chunk at offset %v lies outside the dataset %v", off, d.shape)
		}
		if o%uint64(d.cdims[k]) != 0 {
			return errorf(at, "chunk offset %v is not a multiple of the chunk dimensions %v", off, d.cdims)
		}
	}
	if size > 1<<31 {
		return errorf(at, "stored chunk of %d bytes", size)
	}
	c, err := d.f.seek(addr, int64(size), at, "chunk")
	if err != nil {
		return err
	}
	data := c.b
	want := d.chunkBytes()
	// Decoding costs time: bound the total, so that a small file whose
	// chunk index names one compressed chunk many times cannot spin.
	if d.f.work += int64(want); d.f.work > d.f.lim.MaxBytes {
		return errorf(at, "chunks decode to more than the limit of %d bytes", d.f.lim.MaxBytes)
	}
	for i := len(d.filters) - 1; i >= 0; i-- {
		if mask&(1<<i) != 0 {
			continue // this filter was skipped for this chunk
		}
		if data, err = d.unfilter(d.filters[i], data, want, c.at); err != nil {
			return err
		}
	}
	if len(data) < want {
		return errorf(c.at, "chunk holds %d bytes, want %d", len(data), want)
	}
	d.scatter(data, off)
	return nil
}

func (d *chunked) unfilter(flt filter, data []byte, want int, at int64) ([]byte, error) {
	switch flt.id {
	case filterDeflate:
		zr, err := zlib.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, errorf(at, "gzip chunk: %v", err)
		}
		out := make([]byte, 0, want)
		buf := bytes.NewBuffer(out)
		n, err := io.Copy(buf, io.LimitReader(zr, int64(want)+1))
		if err != nil {
			return nil, errorf(at, "gzip chunk: %v", err)
		}
		if n > int64(want) {
			return nil, errorf(at, "gzip chunk inflates to more than the chunk's %d bytes", want)
		}
		return buf.Bytes(), nil
	case filterShuffle:
		es := d.esize
		if len(flt.cdata) > 0 {
			es = int(flt.cdata[0])
		}
		if es <= 1 {
			return data, nil
		}
		n := len(data) / es
		out := make([]byte, len(data))
		for b := range es {
			for i := range n {
				out[i*es+b] = data[b*n+i]
			}
		}
		copy(out[n*es:], data[n*es:])
		return out, nil
	default: // fletcher32: a checksum after the data
		if len(data) < 4 {
			return nil, errorf(at, "fletcher32 chunk of %d bytes", len(data))
		}
		body, stored := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
		sum := fletcher32(body)
		// Files from HDF5 before 1.6.3 on little-endian machines stored
		// the checksum byte-swapped (H5Z_filter_fletcher32).
		swapped := sum>>24 | sum>>8&0xff00 | sum<<8&0xff0000 | sum<<24
		if stored != sum && stored != swapped {
			return nil, errorf(at, "fletcher32 checksum mismatch: the chunk is corrupt")
		}
		return body, nil
	}
}

// fletcher32 is HDF5's variant (H5_checksum_fletcher32): big-endian 16-bit
// words, a trailing odd byte as the high byte of a word.
func fletcher32(b []byte) uint32 {
	var s1, s2 uint32 = 0xffff, 0xffff
	for len(b) >= 2 {
		n := min(len(b)/2, 360)
		for range n {
			s1 += uint32(b[0])<<8 | uint32(b[1])
			s2 += s1
			b = b[2:]
		}
		s1 = (s1 & 0xffff) + (s1 >> 16)
		s2 = (s2 & 0xffff) + (s2 >> 16)
	}
	if len(b) == 1 {
		s1 += uint32(b[0]) << 8
		s2 += s1
		s1 = (s1 & 0xffff) + (s1 >> 16)
		s2 = (s2 & 0xffff) + (s2 >> 16)
	}
	s1 = (s1 & 0xffff) + (s1 >> 16)
	s2 = (s2 & 0xffff) + (s2 >> 16)
	return s2<<16 | s1
}

// scatter copies the part of a decoded chunk at element offset off that
// lies inside the dataset into out, one run along the last dimension at a
// time.
func (d *chunked) scatter(data []byte, off []uint64) {
	rank := len(d.shape)
	extent := make([]int, rank) // the chunk's elements inside the dataset
	for k := range extent {
		extent[k] = min(d.cdims[k], d.shape[k]-int(off[k]))
	}
	idx := make([]int, rank)
	for {
		src, dst := 0, 0
		for k := range rank {
			src = src*d.cdims[k] + idx[k]
			dst = dst*d.shape[k] + int(off[k]) + idx[k]
		}
		n := extent[rank-1] * d.esize
		copy(d.out[dst*d.esize:dst*d.esize+n], data[src*d.esize:])
		k := rank - 2
		for ; k >= 0; k-- {
			if idx[k]++; idx[k] < extent[k] {
				break
			}
			idx[k] = 0
		}
		if k < 0 {
			return
		}
	}
}
