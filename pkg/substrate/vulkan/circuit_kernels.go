//go:build cgo

package vulkan

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/sokr-rs/sokr/pkg/internal/qsim"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// The state vector of a circuit run lives in device memory, split over up
// to qChunks buffers ("chunks") of a power-of-two number of amplitudes,
// each within maxStorageBufferRange and maxMemoryAllocationSize (4 GiB - 1
// and about 4 GiB on an H100, so chunks of 2 GiB there; 128 MiB on
// lavapipe). The kernels bind the chunks as one descriptor array
// (kernels/qcommon.glsl) and index it with a workgroup-uniform value, which
// Vulkan 1.0's shaderStorageBufferArrayDynamicIndexing allows: no
// descriptor indexing and no buffer device addresses, so the kernels stay
// SPIR-V 1.0 and run on every Vulkan device that has that core feature.
// (Buffer device addresses would need bufferDeviceAddress and shaderInt64,
// and a pointer per chunk anyway: the same split, with fewer devices.)
const (
	// qChunks is the size of the kernels' descriptor array (QCHUNKS in
	// qcommon.glsl).
	qChunks = 16
	// qMinChunkBits is the fewest amplitudes of a chunk (2^13) when there
	// are several: a workgroup's 256 invocations then stay within one
	// chunk (see qcommon.glsl).
	qMinChunkBits = 13
	// qMaxQubits is the most qubits the kernels index: amplitude indices
	// are 32-bit.
	qMaxQubits = 32
	// qDesc is the words of a pass descriptor in aux (qpass.comp).
	qDesc = 144
	// qWorkgroups bounds the workgroups of a reduction over one chunk,
	// whose partial sums come back: 1024 x 256 invocations fill an H100.
	qWorkgroups = 1024
)

// Circuit kernel indices, added to kQInit (complex64) or kQInit64
// (complex128).
const (
	qkInit = iota
	qkPass
	qkProb
	qkExpZ
	qkDyn
	qkPassN // dense and permutation passes on 2 to 5 targets
	qkKraus // qdyn's kraus and apply operations
	qkCount
)

// qdyn operations (kernels/qdyn.comp).
const (
	qdSum = iota
	qdDecide
	qdCollapse
	qdKraus
	qdPick
	qdApply
)

// chunking is how a state of 2^n amplitudes of amp bytes is split.
type chunking struct {
	n       int
	amp     int64 // bytes per amplitude: 8 or 16
	bits    int   // log2 of the amplitudes per chunk
	nchunks int
}

func (c chunking) chunkAmps() int64  { return 1 << c.bits }
func (c chunking) chunkBytes() int64 { return c.amp << c.bits }
func (c chunking) stateBytes() int64 { return c.amp << c.n }

// maxChunkBits is the most amplitudes of amp bytes (log2) one chunk holds
// on dev, lowered by limit (Config.MaxChunkBytes) when it is positive.
func maxChunkBits(dev info, amp, limit int64) int {
	most := min(int64(dev.MaxStorageRange), int64(dev.MaxAlloc))
	if limit > 0 {
		most = min(most, limit)
	}
	b := 0
	for amp<<(b+1) <= most && b < 62 {
		b++
	}
	return b
}

// chunksFor splits an n-qubit state of amp-byte amplitudes for dev, or
// says why it cannot be held.
func chunksFor(dev info, n int, amp, limit int64) (chunking, string) {
	c := chunking{n: n, amp: amp}
	mb := maxChunkBits(dev, amp, limit)
	if n > qMaxQubits {
		return c, fmt.Sprintf("needs %d qubits; vulkan's circuit kernels index at most %d (2^%d amplitudes)", n, qMaxQubits, qMaxQubits)
	}
	if n <= mb {
		c.bits, c.nchunks = n, 1
		return c, ""
	}
	if mb < qMinChunkBits {
		return c, fmt.Sprintf("chunks of %d bytes are too small for several (at least %d amplitudes each)", amp<<mb, 1<<qMinChunkBits)
	}
	c.bits, c.nchunks = mb, 1<<(n-mb)
	if c.nchunks > qChunks {
		return c, fmt.Sprintf("needs %d qubits, %d buffers of %s; vulkan's circuit kernels bind at most %d", n, c.nchunks,
			sokr.FormatBytes(c.chunkBytes()), qChunks)
	}
	if !dev.StorageArrayDynamic {
		return c, fmt.Sprintf("%s cannot index an array of storage buffers (shaderStorageBufferArrayDynamicIndexing), which a state of %d qubits split over %d buffers needs",
			dev.Name, n, c.nchunks)
	}
	return c, ""
}

// maxCircuitQubits is the most qubits of amp-byte amplitudes a state (and
// copies-1 more states of the same size, plus the other buffers' share)
// fits on dev.
func maxCircuitQubits(dev info, amp, limit int64, copies int64) int {
	best := 0
	for n := 1; n <= qMaxQubits; n++ {
		c, why := chunksFor(dev, n, amp, limit)
		if why != "" || (dev.DeviceLocalBytes > 0 && uint64(copies*c.stateBytes()) > dev.DeviceLocalBytes) {
			break
		}
		best = n
	}
	return best
}

// qkernel returns the circuit kernel k for the precision.
func (s *Substrate) qkernel(d *device, k int, dbl bool) (*pipeline, error) {
	base := kQInit
	if dbl {
		base = kQInit64
	}
	return s.builtin(d, base+kernel(k))
}

// passDesc writes a qsim.Pass as qpass.comp reads it, the descriptor at
// word 0 of the returned words and the matrix after it (word matAt of
// aux, where the descriptor goes at word at). lowBits is the lowest bit
// position a control is inserted at (the others are tested per
// invocation); the pass covers the returned number of base indices.
func passDesc(p *qsim.Pass, n int, lowBits int, at uint32, dbl bool) (words []uint32, bases int64) {
	d := 1 << p.K
	words = make([]uint32, qDesc, qDesc+d*d*4)
	targets := p.Off[d-1]
	var ins []int
	var setm, lowm uint32
	for _, q := range p.Pos {
		if targets>>q&1 == 1 || q >= lowBits {
			ins = append(ins, q)
			if targets>>q&1 == 0 && p.Ctrl>>q&1 == 1 {
				setm |= 1 << q
			}
			continue
		}
		lowm |= 1 << q
	}
	words[0] = uint32(p.Kind)
	words[1] = uint32(p.K)
	words[2] = uint32(len(ins))
	words[3] = setm
	words[4] = lowm
	words[5] = uint32(p.Ctrl) & lowm
	words[6] = uint32(len(p.Rows))
	if p.Kind == qsim.Dense {
		words[6] = uint32(d)
	}
	words[7] = at + qDesc
	for i, q := range ins {
		words[16+i] = uint32(q)
	}
	for r := range d {
		words[48+r] = uint32(p.Off[r])
	}
	for i, r := range p.Rows {
		words[80+i] = uint32(r)
	}
	for r, v := range p.Src {
		words[112+r] = uint32(v)
	}
	words = appendComplex(words, p.Mat, dbl)
	return words, int64(1) << (n - len(ins))
}

// appendComplex appends complex numbers as aux reads them: float32 or
// float64 real then imaginary parts, as words.
func appendComplex(w []uint32, m []complex128, dbl bool) []uint32 {
	for _, v := range m {
		w = appendReal(w, real(v), dbl)
		w = appendReal(w, imag(v), dbl)
	}
	return w
}

func appendReal(w []uint32, v float64, dbl bool) []uint32 {
	if dbl {
		b := math.Float64bits(v)
		return append(w, uint32(b), uint32(b>>32))
	}
	return append(w, math.Float32bits(float32(v)))
}

// groupsFor covers n items with 256-invocation workgroups, at most limit
// of them (the kernels loop past it).
func groupsFor(n int64, limit int64) uint32 {
	return uint32(max(1, min((n+255)/256, limit)))
}

// pushWords encodes the circuit kernels' push constants (qcommon.glsl's
// Push: chunkBits, n, a0..a5).
func pushWords(v [8]uint32) []byte {
	b := make([]byte, 32)
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], x)
	}
	return b
}
