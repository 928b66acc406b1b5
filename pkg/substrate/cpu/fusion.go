package cpu

import (
	"unsafe"

	"github.com/sokr-rs/sokr/pkg/sokr"
)

// blockLen is the number of elements a fused group evaluates at a time: a
// register block is at most 8 KiB (blockLen f64s), so a group's registers
// stay in L1/L2 cache while the chain runs over them.
const blockLen = 1024

// run evaluates the group over elements [lo, hi) of its inputs, writing the
// result into out. vals holds every stored node's data.
func (g *group) run(vals []sokr.Tensor, out []byte, lo, hi int, scratch *scratch) {
	nl := len(g.leaves)
	regs := scratch.regs(nl + len(g.code))
	// Scalar leaves are broadcast into a block once per call.
	for r, lf := range g.leaves {
		if lf.scalar {
			regs[r] = scratch.splat(r, vals[lf.node].Data[:lf.dt.Size()], lf.dt.Size())
		}
	}
	last := nl + len(g.code) - 1
	for b := lo; b < hi; b += blockLen {
		e := min(b+blockLen, hi)
		n := e - b
		for r, lf := range g.leaves {
			sz := lf.dt.Size()
			if lf.scalar {
				regs[r] = regs[r][:n*sz]
			} else {
				regs[r] = vals[lf.node].Data[b*sz : e*sz]
			}
		}
		for k := range g.code {
			in := &g.code[k]
			dst := nl + k
			if dst == last {
				regs[dst] = out[b*in.out.Size() : e*in.out.Size()]
			} else {
				regs[dst] = scratch.block(dst)[:n*in.out.Size()]
			}
			apply(in, regs[dst], regs[in.args[0]], regs[in.args[1]], regs[in.args[2]], n)
		}
	}
}

// scratch is one worker's register file.
type scratch struct {
	blocks [][]byte
	view   [][]byte
}

func (s *scratch) regs(n int) [][]byte {
	if cap(s.view) < n {
		s.view = make([][]byte, n)
	}
	s.view = s.view[:n]
	return s.view
}

// block returns register r's private block, blockLen elements of up to 8
// bytes.
func (s *scratch) block(r int) []byte {
	for len(s.blocks) <= r {
		s.blocks = append(s.blocks, nil)
	}
	if s.blocks[r] == nil {
		s.blocks[r] = make([]byte, blockLen*8)
	}
	return s.blocks[r]
}

// splat fills register r's block with copies of the element v.
func (s *scratch) splat(r int, v []byte, size int) []byte {
	b := s.block(r)[:blockLen*size]
	switch size {
	case 1:
		fill(b, v[0])
	case 4:
		fill(as[uint32](b, blockLen), *(*uint32)(unsafe.Pointer(&v[0])))
	case 8:
		fill(as[uint64](b, blockLen), *(*uint64)(unsafe.Pointer(&v[0])))
	}
	return b
}

func fill[T any](d []T, v T) {
	for i := range d {
		d[i] = v
	}
}

// as views b as n elements of T.
func as[T any](b []byte, n int) []T {
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b))), n)
}
