package hdf5

import "math/bits"

// fractalHeap is a parsed fractal heap header (FRHP), enough to find the
// managed and tiny objects that dense groups keep their link messages in.
type fractalHeap struct {
	f                   *file
	at                  int64
	idLen               int
	width               uint64 // blocks per row
	start               uint64 // size of the blocks of rows 0 and 1
	maxDirectRows       int
	offsetSize, lenSize int
	root                uint64
	rows                int // rows of the root indirect block; 0: the root is a direct block
}

func (f *file) fractalHeap(addr uint64, from int64) (*fractalHeap, error) {
	c, err := f.seek(addr, -1, from, "fractal heap")
	if err != nil {
		return nil, err
	}
	h := &fractalHeap{f: f, at: c.at}
	c.signature("FRHP")
	if v := c.u8(); c.err == nil && v != 0 {
		return nil, unsupported(c.at+4, "fractal heap version %d", v)
	}
	h.idLen = int(c.u16())
	filterLen := c.u16()
	c.skip(1) // flags
	maxManaged := uint64(c.u32())
	c.length() // next huge object id
	c.addr()   // huge object B-tree
	c.length() // free space
	c.addr()   // free-space manager
	c.length() // managed space
	c.length() // allocated managed space
	c.length() // direct block allocation iterator
	c.length() // managed objects
	c.length() // huge objects' size
	c.length() // huge objects
	c.length() // tiny objects' size
	c.length() // tiny objects
	h.width = uint64(c.u16())
	h.start = c.length()
	maxDirect := c.length()
	maxBits := int(c.u16())
	c.skip(2) // starting rows of the root indirect block
	h.root = c.addr()
	h.rows = int(c.u16())
	if c.err != nil {
		return nil, c.err
	}
	if filterLen != 0 {
		return nil, unsupported(h.at, "filtered (compressed) fractal heap")
	}
	c.checksum(0)
	if c.err != nil {
		return nil, c.err
	}
	pow2 := func(v uint64) bool { return v != 0 && v&(v-1) == 0 }
	if !pow2(h.width) || !pow2(h.start) || !pow2(maxDirect) || maxDirect < h.start || maxBits < 1 || maxBits > 64 || h.idLen < 2 {
		return nil, errorf(h.at, "fractal heap has an invalid doubling table (width %d, start block %d, max direct block %d, %d address bits)", h.width, h.start, maxDirect, maxBits)
	}
	h.maxDirectRows = bits.Len64(maxDirect) - bits.Len64(h.start) + 2
	h.offsetSize = (maxBits + 7) / 8
	h.lenSize = bytesFor(min(maxDirect, maxManaged))
	if h.rows > 64 {
		return nil, errorf(h.at, "fractal heap root has %d rows", h.rows)
	}
	return h, nil
}

// rowSize is the size of the blocks in row r of the doubling table.
func (h *fractalHeap) rowSize(r int) uint64 {
	if r == 0 {
		return h.start
	}
	if r-1 >= 64-bits.Len64(h.start) {
		return 0 // overflow: no such row
	}
	return h.start << (r - 1)
}

// object returns the bytes of the object a heap id names.
func (h *fractalHeap) object(id []byte, at int64) ([]byte, error) {
	if len(id) < h.idLen || h.idLen < 1 {
		return nil, errorf(at, "heap id of %d bytes, want %d", len(id), h.idLen)
	}
	id = id[:h.idLen]
	switch kind := id[0] >> 4 & 3; {
	case id[0]>>6 != 0:
		return nil, unsupported(at, "heap id version %d", id[0]>>6)
	case kind == 2: // tiny: the object is in the id itself
		n, data := int(id[0]&0x0f)+1, id[1:]
		if h.idLen > 18 { // extended length
			n, data = int(id[0]&0x0f)<<8|int(id[1])+1, id[2:]
		}
		if n > len(data) {
			return nil, errorf(at, "tiny heap object of %d bytes in an id of %d", n, h.idLen)
		}
		return data[:n], nil
	case kind != 0:
		return nil, unsupported(at, "huge fractal heap objects")
	}
	c := &cursor{b: id[1:], at: at}
	off, n := c.uint(h.offsetSize), c.uint(h.lenSize)
	if c.err != nil {
		return nil, c.err
	}
	addr, blockOff, rows := h.root, uint64(0), h.rows
	for depth := 0; ; depth++ {
		if depth > maxBTreeDepth {
			return nil, errorf(h.at, "fractal heap indirect blocks nest deeper than %d", maxBTreeDepth)
		}
		if rows == 0 { // a direct block
			return h.direct(addr, blockOff, off, n, h.start, at)
		}
		// An indirect block: find the child whose range holds off.
		ic, err := h.f.seek(addr, -1, h.at, "fractal heap indirect block")
		if err != nil {
			return nil, err
		}
		ic.signature("FHIB")
		ic.skip(1)
		ic.addr()
		ic.uint(h.offsetSize) // block offset
		if ic.err != nil {
			return nil, ic.err
		}
		pos := off - blockOff
		if off < blockOff {
			return nil, errorf(ic.at, "heap offset %d precedes the block at heap offset %d", off, blockOff)
		}
		r, childOff := 0, blockOff
		for ; r < rows; r++ {
			span := h.rowSize(r) * h.width
			if span == 0 || span/h.width != h.rowSize(r) {
				return nil, errorf(ic.at, "heap offset %d is beyond the heap", off)
			}
			if pos < span {
				break
			}
			pos -= span
			childOff += span
		}
		if r == rows {
			return nil, errorf(ic.at, "heap offset %d is beyond this indirect block", off)
		}
		col := pos / h.rowSize(r)
		childOff += col * h.rowSize(r)
		ic.skip(int(uint64(r)*h.width+col) * h.f.osize)
		child := ic.addr()
		if ic.err != nil {
			return nil, ic.err
		}
		addr, blockOff = child, childOff
		if r < h.maxDirectRows {
			return h.direct(addr, blockOff, off, n, h.rowSize(r), at)
		}
		rows = bits.Len64(h.rowSize(r)) - bits.Len64(h.start*h.width) + 1
		if rows < 1 || rows > 64 {
			return nil, errorf(ic.at, "fractal heap child block with %d rows", rows)
		}
	}
}

// direct returns n bytes at heap offset off from the direct block of the
// given size at addr, which starts at heap offset blockOff.
func (h *fractalHeap) direct(addr, blockOff, off, n, size uint64, at int64) ([]byte, error) {
	if size > 1<<30 {
		return nil, errorf(at, "fractal heap direct block of %d bytes", size)
	}
	c, err := h.f.seek(addr, int64(size), at, "fractal heap direct block")
	if err != nil {
		return nil, err
	}
	c.signature("FHDB")
	if c.err != nil {
		return nil, c.err
	}
	rel := off - blockOff
	hdr := uint64(4 + 1 + h.f.osize + h.offsetSize)
	if off < blockOff || rel < hdr || rel > uint64(len(c.b)) || n > uint64(len(c.b))-rel {
		return nil, errorf(c.at, "heap object at heap offset %d (%d bytes) lies outside its direct block", off, n)
	}
	return c.b[rel : rel+n], nil
}

// btree2 calls fn with every record of the version-2 B-tree at addr, which
// must hold records of type typ.
func (f *file) btree2(addr uint64, from int64, typ uint8, fn func(rec []byte, at int64) error) error {
	c, err := f.seek(addr, -1, from, "v2 B-tree")
	if err != nil {
		return err
	}
	c.signature("BTHD")
	c.skip(1) // version
	if t := c.u8(); c.err == nil && t != typ {
		return errorf(c.at+5, "v2 B-tree holds records of type %d, want %d", t, typ)
	}
	nodeSize, recSize, depth := uint64(c.u32()), int(c.u16()), int(c.u16())
	c.skip(2) // split and merge percentages
	root, nroot := c.addr(), int(c.u16())
	c.length() // total records
	c.checksum(0)
	if c.err != nil {
		return c.err
	}
	const prefix = 4 + 1 + 1 + 4 // signature, version, type, checksum
	if recSize < 5 || nodeSize < prefix+uint64(recSize) || nodeSize > 1<<24 || depth > maxBTreeDepth {
		return errorf(c.at, "v2 B-tree has invalid sizes (node %d, record %d, depth %d)", nodeSize, recSize, depth)
	}
	// Field widths per level (H5B2__hdr_init in H5B2hdr.c).
	maxRec := make([]uint64, depth+1)
	cumSize := make([]int, depth+1)
	maxRec[0] = (nodeSize - prefix) / uint64(recSize)
	cum := maxRec[0]
	nrecSize := (bits.Len64(maxRec[0])-1)/8 + 1
	ptrSize := func(d int) int {
		if d > 1 {
			return f.osize + nrecSize + cumSize[d-1]
		}
		return f.osize + nrecSize
	}
	for d := 1; d <= depth; d++ {
		p := uint64(ptrSize(d))
		if nodeSize < prefix+p {
			return errorf(c.at, "v2 B-tree nodes of %d bytes cannot hold a child pointer", nodeSize)
		}
		maxRec[d] = (nodeSize - prefix - p) / (uint64(recSize) + p)
		hi, lo := bits.Mul64(maxRec[d]+1, cum)
		if cum = lo + maxRec[d]; hi != 0 || cum < lo {
			cum = ^uint64(0)
		}
		cumSize[d] = (bits.Len64(cum)-1)/8 + 1
	}
	visited := map[uint64]bool{}
	var walk func(addr uint64, n, d int, from int64) error
	walk = func(addr uint64, n, d int, from int64) error {
		if visited[addr] {
			return errorf(from, "v2 B-tree node at address %d is reached twice", addr)
		}
		visited[addr] = true
		if uint64(n) > maxRec[d] {
			return errorf(from, "v2 B-tree node claims %d records, at most %d fit", n, maxRec[d])
		}
		c, err := f.seek(addr, int64(nodeSize), from, "v2 B-tree node")
		if err != nil {
			return err
		}
		if d == 0 {
			c.signature("BTLF")
		} else {
			c.signature("BTIN")
		}
		c.skip(2) // version, type
		recs := c.take(n * recSize)
		recAt := c.off() - int64(n*recSize)
		type child struct {
			addr uint64
			n    int
			at   int64
		}
		var kids []child
		if d > 0 {
			for range n + 1 {
				at := c.off()
				a := c.addr()
				k := c.uint(nrecSize)
				if d > 1 {
					c.uint(cumSize[d-1])
				}
				kids = append(kids, child{a, int(min(k, 1<<30)), at})
			}
		}
		c.checksum(0)
		if c.err != nil {
			return c.err
		}
		for i := range n {
			if d > 0 {
				if err := walk(kids[i].addr, kids[i].n, d-1, kids[i].at); err != nil {
					return err
				}
			}
			if err := fn(recs[i*recSize:(i+1)*recSize], recAt+int64(i*recSize)); err != nil {
				return err
			}
		}
		if d > 0 {
			return walk(kids[n].addr, kids[n].n, d-1, kids[n].at)
		}
		return nil
	}
	if root == undef || nroot == 0 {
		return nil
	}
	return walk(root, nroot, depth, c.at)
}
