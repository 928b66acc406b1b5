//go:build cgo

package vulkan

import (
	"embed"
	"encoding/binary"
	"fmt"
	"math"
	"sync"

	"github.com/sokr-rs/sokr/pkg/ir/native"
	"github.com/sokr-rs/sokr/pkg/ir/spirv"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// The built-in kernels (kernels/*.comp, compiled by kernels/gen.sh).
//
//go:embed kernels/*.spv
var kernelFS embed.FS

type kernel int

const (
	kFused kernel = iota
	kStrided
	kReduce
	kMatmul
	// The f64 variants (compiled with -DDOUBLE; devices with shaderFloat64).
	kFused64
	kReduce64
	kMatmul64
	// Event-driven propagation of NIR graphs (kernels/eventmask.comp, then
	// kernels/eventmm.comp; f32).
	kEventMask
	kEventMM
	// The circuit kernels (kernels/q*.comp; circuit_kernels.go), complex64
	// then complex128.
	kQInit
	kQPass
	kQProb
	kQExpZ
	kQDyn
	kQPassN
	kQKraus
	kQInit64
	kQPass64
	kQProb64
	kQExpZ64
	kQDyn64
	kQPassN64
	kQKraus64
	numKernels
)

var kernelFiles = [numKernels]string{"fused", "strided", "reduce", "matmul", "fused64", "reduce64", "matmul64",
	"eventmask", "eventmm", "qinit", "qpass", "qprob", "qexpz", "qdyn", "qpassn", "qkraus", "qinit64", "qpass64", "qprob64", "qexpz64", "qdyn64", "qpassn64", "qkraus64"}

// kernelBindings is how many bindings each kernel has: views of the arena
// for the native kernels (fused reads its program through a second, uint
// view; eventmm its masks); the state's chunks, aux and out for the
// circuit kernels.
var kernelBindings = [numKernels]int{2, 1, 1, 1, 2, 1, 1, 1, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3}

// f64Ops are the elementwise ops with an f64 kernel: GLSL has no f64 exp,
// log, tanh, sin, cos or pow.
var f64Ops = map[native.Op]bool{native.OpNeg: true, native.OpAbs: true, native.OpSqrt: true, native.OpRelu: true,
	native.OpAdd: true, native.OpSub: true, native.OpMul: true, native.OpDiv: true, native.OpMax: true, native.OpMin: true}

// width is how many 32-bit words of the arena one element of n takes.
func width(n native.Node) int {
	if n.Type.DType == sokr.F64 {
		return 2
	}
	return 1
}

var kernels = sync.OnceValues(func() ([numKernels]*spirv.Program, error) {
	var out [numKernels]*spirv.Program
	for k, name := range kernelFiles {
		src, err := kernelFS.ReadFile("kernels/" + name + ".spv")
		if err != nil {
			return out, err
		}
		if out[k], err = spirv.Parse(src); err != nil {
			return out, fmt.Errorf("built-in kernel %s: %w", name, err)
		}
	}
	return out, nil
})

// Elementwise op codes (kernels/fused.comp).
const (
	ewSelect = 24
	ewToBool = 25
)

var ewCodes = map[native.Op]uint32{
	native.OpNeg: 1, native.OpAbs: 2, native.OpExp: 3, native.OpLog: 4, native.OpSqrt: 5, native.OpTanh: 6,
	native.OpSigmoid: 7, native.OpRelu: 8, native.OpSin: 9, native.OpCos: 10, native.OpAdd: 11, native.OpSub: 12,
	native.OpMul: 13, native.OpDiv: 14, native.OpPow: 15, native.OpMax: 16, native.OpMin: 17, native.OpEq: 18,
	native.OpNe: 19, native.OpLt: 20, native.OpLe: 21, native.OpGt: 22, native.OpGe: 23,
}

var reduceCodes = map[native.Op]uint32{native.OpReduceSum: 0, native.OpReduceMax: 1, native.OpReduceMin: 2, native.OpReduceMean: 3}

// maxKernelRank is the most dimensions the strided and reduce kernels walk.
const maxKernelRank = 8

// plan is a native program laid out in one device buffer (the arena): the
// params and constants first (one upload), then every computed value; a
// reshape or a cast that keeps the representation shares its operand's
// place. Values are f32 or f64 on the device; bools are f32 0 or 1.
type plan struct {
	arenaBytes int64
	inBytes    int64    // params and constants: the upload
	stageBytes int64    // the staging buffer: uploads, then the outputs
	offset     []uint32 // word offset of each node
	params     []int64  // word offset of each param, in input order
	// consts are the constants' node indices, each at its offset after
	// the params: their words are written straight into the staging
	// buffer at each run, so that a splat is never expanded on the Go heap
	// (and never held with the program).
	consts   []int
	constOff uint32
	steps    []kstep
	outputs  []int // node indices
	// code holds the fused chains' programs, at element codeOff of the
	// arena (uploaded after the params and constants).
	code    []uint32
	codeOff uint32
}

type kstep struct {
	k      kernel
	push   []uint32
	groups [3]uint32
}

func words(v ...uint32) []uint32 { return v }

// plan lays p out, or says why the built-in kernels cannot run it. The
// answer is kept with the program (one per substrate), so it goes when the
// program does.
func (s *Substrate) plan(p *native.Program) (*plan, error) {
	type planned struct {
		pl  *plan
		err error
	}
	v := p.Memo(planKey{s}, func() any {
		pl, err := layout(p, s.info)
		return planned{pl, err}
	}).(planned)
	return v.pl, v.err
}

// planKey files a substrate's plan in native.Program.Memo.
type planKey struct{ s *Substrate }

func layout(p *native.Program, dev info) (*plan, error) {
	pl := &plan{offset: make([]uint32, len(p.Nodes)), outputs: p.Outputs}
	// Every size is checked against one storage buffer before anything is
	// placed or expanded, so the element offsets below fit 32 bits.
	limit := min(int64(dev.MaxStorageRange), int64(dev.MaxAlloc))
	tooBig := func() error {
		return fmt.Errorf("the program's values need more than %d bytes in one device buffer, the largest storage buffer on %s",
			limit, dev.Name)
	}
	var next int64 // elements
	over := false
	place := func(n int) uint32 {
		off := next
		next += (int64(max(n, 1)) + 63) &^ 63
		over = over || 4*next > limit
		return uint32(off)
	}
	refuse := func(n native.Node, why string, args ...any) error {
		return fmt.Errorf("node %s (%s): %s", n.Name, n.Op, fmt.Sprintf(why, args...))
	}
	if dev.MaxInvocations < 256 || dev.MaxGroupSize[0] < 256 || dev.MaxGroupSize[1] < 16 {
		return nil, fmt.Errorf("vulkan's built-in kernels need workgroups of 256 invocations; %s allows %d", dev.Name, dev.MaxInvocations)
	}
	for _, n := range p.Nodes {
		switch dt := n.Type.DType; {
		case dt == sokr.F64 && !dev.features["Float64"]:
			return nil, refuse(n, "it is f64, and %s has no shaderFloat64 (run it on cpu)", dev.Name)
		case dt != sokr.F32 && dt != sokr.Bool && dt != sokr.F64:
			return nil, refuse(n, "vulkan's built-in kernels compute f32, f64 and bool values; this one is %s (run it on cpu)", dt)
		}
		if err := f64Refusal(p, n); err != "" {
			return nil, refuse(n, "%s", err)
		}
		if b := 4 * int64(width(n)*n.Type.Shape.NumElements()); b > limit {
			return nil, refuse(n, "its %d bytes on the device exceed %d, the largest storage buffer on %s", b, limit, dev.Name)
		}
	}
	// Params and constants first: they are uploaded in one copy.
	for _, i := range p.Params {
		pl.offset[i] = place(width(p.Nodes[i]) * p.Nodes[i].Type.Shape.NumElements())
		pl.params = append(pl.params, int64(pl.offset[i]))
	}
	pl.constOff = uint32(next)
	for i, n := range p.Nodes {
		if n.Op != native.OpConst {
			continue
		}
		pl.offset[i] = place(width(n) * n.Type.Shape.NumElements())
		if over {
			return nil, tooBig()
		}
		pl.consts = append(pl.consts, i)
	}
	pl.inBytes = 4 * next
	f := &fuser{p: p, pl: pl, place: place, users: users(p)}
	for i, n := range p.Nodes {
		ne := uint32(n.Type.Shape.NumElements())
		var a native.Node
		if len(n.Args) > 0 {
			a = p.Nodes[n.Args[0]]
		}
		switch {
		case n.Op == native.OpParam || n.Op == native.OpConst:
			continue
		case n.Op == native.OpReshape,
			n.Op == native.OpCast && (a.Type.DType == n.Type.DType || a.Type.DType == sokr.Bool && n.Type.DType == sokr.F32):
			f.flush()                           // the operand must be in the arena
			pl.offset[i] = pl.offset[n.Args[0]] // the same values in place
			continue
		}
		if code, ok := ewCode(n); ok {
			f.add(i, code)
			continue
		}
		f.flush()
		pl.offset[i] = place(width(n) * int(ne))
		dst := pl.offset[i]
		switch op := n.Op; {
		case op == native.OpBroadcast || op == native.OpTranspose:
			dims, strides, err := stridedMap(n, a)
			if err != nil {
				return nil, refuse(n, "%v", err)
			}
			nw := ne * uint32(width(n)) // words
			push := words(nw, dst, pl.offset[n.Args[0]], uint32(len(dims)))
			push = append(push, pad8(dims)...)
			push = append(push, pad8(strides)...)
			pl.steps = append(pl.steps, kstep{k: kStrided, groups: linearGroups(nw), push: push})
		case op == native.OpReduceSum || op == native.OpReduceMax || op == native.OpReduceMin || op == native.OpReduceMean:
			st, err := reduceSteps(n, a, dst, pl.offset[n.Args[0]], place, dev)
			if err != nil {
				return nil, refuse(n, "%v", err)
			}
			pl.steps = append(pl.steps, st...)
		case op == native.OpMatmul:
			st, err := matmulStep(n, a, dst, pl.offset[n.Args[0]], pl.offset[n.Args[1]], dev)
			if err != nil {
				return nil, refuse(n, "%v", err)
			}
			pl.steps = append(pl.steps, st)
		default:
			return nil, refuse(n, "no built-in vulkan kernel for %s", op)
		}
	}
	f.flush()
	// The fused chains' programs go after everything, uploaded with the
	// params and constants.
	pl.codeOff = uint32(next)
	next += int64(len(pl.code))
	for _, k := range f.codeSteps {
		pl.steps[k].push[1] += pl.codeOff
	}
	pl.arenaBytes = 4 * max(next, 1)
	if over || pl.arenaBytes > limit {
		return nil, tooBig()
	}
	// As nativeWork lays out the staging buffer.
	pl.stageBytes = align(pl.inBytes) + align(4*int64(len(pl.code)))
	for _, o := range pl.outputs {
		pl.stageBytes += align(4 * int64(width(p.Nodes[o])*p.Nodes[o].Type.Shape.NumElements()))
	}
	return pl, nil
}

// f64Refusal says why the kernels cannot compute node n with its f64
// values, or "".
func f64Refusal(p *native.Program, n native.Node) string {
	f64Args := false
	for _, a := range n.Args {
		f64Args = f64Args || p.Nodes[a].Type.DType == sokr.F64
	}
	_, elementwise := ewCode(n)
	switch {
	case n.Type.DType != sokr.F64 && f64Args:
		return fmt.Sprintf("%s of f64 values to %s has no vulkan kernel (run it on cpu)", n.Op, n.Type.DType)
	case n.Type.DType != sokr.F64:
		return ""
	case n.Op == native.OpCast && !f64Args:
		return "vulkan has no kernel converting to f64 (run it on cpu)"
	case n.Op == native.OpSelect:
		return "vulkan has no f64 select (run it on cpu)"
	case elementwise && !f64Ops[n.Op]:
		return fmt.Sprintf("vulkan computes %s in f32 only (GLSL has no f64 %s; run it on cpu)", n.Op, n.Op)
	}
	return ""
}

// ewCode is the fused kernel's op code for an elementwise node.
func ewCode(n native.Node) (uint32, bool) {
	switch {
	case n.Op == native.OpCast: // f32 -> bool; the other casts are aliases
		return ewToBool, true
	case n.Op == native.OpSelect:
		return ewSelect, true
	}
	c, ok := ewCodes[n.Op]
	return c, ok
}

// users lists, for each node, the nodes that read it; an output of the
// program counts as a reader too (index len(p.Nodes)).
func users(p *native.Program) [][]int {
	u := make([][]int, len(p.Nodes))
	for i, n := range p.Nodes {
		for _, a := range n.Args {
			u[a] = append(u[a], i)
		}
	}
	for _, o := range p.Outputs {
		u[o] = append(u[o], len(p.Nodes))
	}
	return u
}

// fusedRegs is the fused kernel's register count (R0 to R15 in fused.comp).
const fusedRegs = 16

// fuser gathers consecutive elementwise nodes of one element count into a
// chain that the fused kernel runs in one pass: operands from outside the
// chain are loaded once per element, intermediate values stay in registers,
// and only values read after the chain (or returned) are stored.
type fuser struct {
	p         *native.Program
	pl        *plan
	place     func(int) uint32
	users     [][]int
	codeSteps []int // steps whose push[1] is an offset into pl.code

	ne      uint32
	dbl     bool           // an f64 chain (kernels/fused64)
	members []int          // node indices, in order
	reg     map[int]uint32 // node (member or loaded operand) -> register
	loads   []int          // loaded operands, in register order
	ops     []uint32       // two words per op
}

// add puts node i (op code) in the chain, first closing the chain when i
// has another element count or would need more registers than there are.
func (f *fuser) add(i int, code uint32) {
	n := f.p.Nodes[i]
	ne := uint32(n.Type.Shape.NumElements())
	dbl := n.Type.DType == sokr.F64
	fresh := 1 // the node's own register
	for _, a := range n.Args {
		if _, ok := f.reg[a]; !ok {
			fresh++
		}
	}
	if len(f.members) > 0 && (ne != f.ne || dbl != f.dbl || len(f.reg)+fresh > fusedRegs) {
		f.flush()
	}
	if len(f.members) == 0 {
		f.ne, f.dbl, f.reg = ne, dbl, map[int]uint32{}
	}
	var r [3]uint32
	for k, a := range n.Args {
		reg, ok := f.reg[a]
		if !ok {
			reg = uint32(len(f.reg))
			f.reg[a] = reg
			f.loads = append(f.loads, a)
		}
		r[k] = reg
	}
	dst := uint32(len(f.reg))
	f.reg[i] = dst
	f.members = append(f.members, i)
	f.ops = append(f.ops, code|dst<<8|r[0]<<16|r[1]<<24, r[2])
}

// flush emits the chain as one fused step and starts an empty one.
func (f *fuser) flush() {
	if len(f.members) == 0 {
		return
	}
	last := f.members[len(f.members)-1]
	k, div := kFused, uint32(1) // f64: the kernel's offsets count doubles
	if f.dbl {
		k, div = kFused64, 2
	}
	var stores []uint32
	for _, m := range f.members {
		for _, u := range f.users[m] {
			if u > last { // read after the chain (or returned)
				f.pl.offset[m] = f.place(int(f.ne * div))
				stores = append(stores, f.reg[m], f.pl.offset[m]/div)
				break
			}
		}
	}
	code := []uint32{uint32(len(f.loads)), uint32(len(f.ops) / 2), uint32(len(stores) / 2)}
	for _, a := range f.loads {
		stride := uint32(1)
		if o := f.p.Nodes[a]; len(o.Type.Shape) == 0 && f.ne != 1 {
			stride = 0 // a scalar, broadcast
		}
		code = append(code, f.pl.offset[a]/div, f.reg[a]|stride<<8)
	}
	code = append(code, f.ops...)
	code = append(code, stores...)
	f.codeSteps = append(f.codeSteps, len(f.pl.steps))
	f.pl.steps = append(f.pl.steps, kstep{k: k, groups: linearGroups(f.ne),
		push: words(f.ne, uint32(len(f.pl.code)))})
	f.pl.code = append(f.pl.code, code...)
	f.members, f.loads, f.ops, f.reg = nil, nil, nil, nil
}

// linearGroups covers n elements with 256-invocation workgroups; the
// kernels loop (grid stride) past 65535 groups, every device's minimum.
func linearGroups(n uint32) [3]uint32 {
	return [3]uint32{max(1, min((n+255)/256, 65535)), 1, 1}
}

func pad8(v []uint32) []uint32 {
	out := make([]uint32, maxKernelRank)
	copy(out, v)
	return out
}

// contiguous returns the row-major strides of shape, in elements.
func contiguous(shape sokr.Shape) []uint32 {
	st := make([]uint32, len(shape))
	acc := uint32(1)
	for d := len(shape) - 1; d >= 0; d-- {
		st[d] = acc
		acc *= uint32(shape[d])
	}
	return st
}

// stridedMap gives, for each output dimension, its size and the operand's
// stride along it (broadcast: 0 where the operand has size 1 or no such
// dimension; transpose: the permuted strides).
//
// The kernel copies 32-bit words: an f64 element is one more, innermost
// dimension of 2 words, and every other stride doubles.
func stridedMap(n, a native.Node) (dims, strides []uint32, err error) {
	out := n.Type.Shape
	w := width(n)
	if len(out)+w-1 > maxKernelRank {
		return nil, nil, fmt.Errorf("rank %d: vulkan's strided kernel takes at most %d dimensions (%d for f64)",
			len(out), maxKernelRank, maxKernelRank-1)
	}
	src := contiguous(a.Type.Shape)
	for d := range src {
		src[d] *= uint32(w)
	}
	defer func() {
		if w == 2 && err == nil {
			dims, strides = append(dims, 2), append(strides, 1)
		}
	}()
	dims = make([]uint32, len(out))
	strides = make([]uint32, len(out))
	for d := range out {
		dims[d] = uint32(out[d])
		if n.Op == native.OpTranspose {
			strides[d] = src[n.Axes[d]]
			continue
		}
		if ad := d - (len(out) - len(a.Type.Shape)); ad >= 0 && a.Type.Shape[ad] != 1 {
			strides[d] = src[ad]
		}
	}
	return dims, strides, nil
}

// Reductions longer than reduceSplit elements per output, with fewer than
// reduceWide outputs, are split into chunks of at least reduceChunk
// elements, one workgroup each, then the chunks are reduced: a full sum
// over millions of elements runs on many workgroups, not one.
const (
	reduceSplit = 8192
	reduceWide  = 256
	reduceChunk = 4096
	maxChunks   = 1024
)

// reduceSteps reduces a (a node's operand at src) into dst, in one
// dispatch or two; place allocates the chunks' partial results.
func reduceSteps(n, a native.Node, dst, src uint32, place func(int) uint32, dev info) ([]kstep, error) {
	shape := a.Type.Shape
	if len(shape) > maxKernelRank {
		return nil, fmt.Errorf("rank %d: vulkan's reduce kernel takes at most %d dimensions", len(shape), maxKernelRank)
	}
	st := contiguous(shape)
	reduced := make([]bool, len(shape))
	for _, ax := range n.Axes {
		reduced[ax] = true
	}
	var dims, strides []uint32
	nout, r := uint32(1), uint32(1)
	for d := range shape {
		if !reduced[d] {
			dims, strides = append(dims, uint32(shape[d])), append(strides, st[d])
			nout *= uint32(shape[d])
		}
	}
	nk := uint32(len(dims))
	for d := range shape {
		if reduced[d] {
			dims, strides = append(dims, uint32(shape[d])), append(strides, st[d])
			r *= uint32(shape[d])
		}
	}
	op := reduceCodes[n.Op]
	k, div := kReduce, uint32(1) // f64: the kernel's offsets count doubles
	if a.Type.DType == sokr.F64 {
		k, div = kReduce64, 2
	}
	dst, src = dst/div, src/div
	step := func(op, nout, r, dst, src, nk, chunk, nchunk, denom uint32, dims, strides []uint32) (kstep, error) {
		total := nout * nchunk
		gx := min(total, 65535)
		gy := (total + gx - 1) / gx
		if gy > dev.MaxGroupCount[1] {
			return kstep{}, fmt.Errorf("%d outputs: more workgroups than the device allows", nout)
		}
		push := words(op, nout, r, dst, src, nk, uint32(len(dims)), chunk, nchunk, denom)
		push = append(push, pad8(dims)...)
		push = append(push, pad8(strides)...)
		return kstep{k: k, push: push, groups: [3]uint32{gx, gy, 1}}, nil
	}
	if r <= reduceSplit || nout >= reduceWide {
		s, err := step(op, nout, r, dst, src, nk, r, 1, r, dims, strides)
		return []kstep{s}, err
	}
	nchunk := min((r+reduceChunk-1)/reduceChunk, maxChunks)
	chunk := (r + nchunk - 1) / nchunk
	chunk = (chunk + 255) &^ 255
	nchunk = (r + chunk - 1) / chunk
	first := op
	if op == reduceCodes[native.OpReduceMean] {
		first = reduceCodes[native.OpReduceSum]
	}
	tmp := place(int(nout*nchunk*div)) / div
	s1, err := step(first, nout, r, tmp, src, nk, chunk, nchunk, r, dims, strides)
	if err != nil {
		return nil, err
	}
	// The partials are [nout, nchunk], reduced along their contiguous axis.
	var pd, ps []uint32
	pk := uint32(0)
	if nout > 1 {
		pd, ps, pk = []uint32{nout}, []uint32{nchunk}, 1
	}
	pd, ps = append(pd, nchunk), append(ps, 1)
	s2, err := step(op, nout, nchunk, dst, tmp, pk, nchunk, 1, r, pd, ps)
	return []kstep{s1, s2}, err
}

func matmulStep(n, a native.Node, dst, aOff, bOff uint32, dev info) (kstep, error) {
	as, out := a.Type.Shape, n.Type.Shape
	r := len(out)
	m, k, nn := uint32(as[len(as)-2]), uint32(as[len(as)-1]), uint32(out[r-1])
	batch := uint32(1)
	for _, d := range out[:r-2] {
		batch *= uint32(d)
	}
	g := [3]uint32{(nn + 63) / 64, (m + 63) / 64, batch}
	for d := range 3 {
		if g[d] > dev.MaxGroupCount[d] {
			return kstep{}, fmt.Errorf("needs %v workgroups; the device allows %v", g, dev.MaxGroupCount)
		}
	}
	km, div := kMatmul, uint32(1) // f64: the kernel's offsets count doubles
	if a.Type.DType == sokr.F64 {
		km, div = kMatmul64, 2
	}
	return kstep{k: km, groups: g, push: words(m, nn, k, aOff/div, bOff/div, dst/div, m*k, k*nn, m*nn)}, nil
}

// putConst writes a constant (splat or full) as its words in the arena
// into dst, expanding a splat in place: no copy on the Go heap.
func putConst(dst []byte, n native.Node) {
	c := n.Const
	if c.DType == sokr.Bool {
		one := math.Float32bits(1)
		for i := range n.Type.Shape.NumElements() {
			v := uint32(0)
			if c.Data[i%len(c.Data)] != 0 {
				v = one
			}
			binary.LittleEndian.PutUint32(dst[4*i:], v)
		}
		return
	}
	// f32 and f64 words as they are: the constant's bytes, repeated.
	total := 4 * width(n) * n.Type.Shape.NumElements()
	k := copy(dst[:total], c.Data)
	for k > 0 && k < total { // doubling copies: a splat of any size in log steps
		k += copy(dst[k:total], dst[:k])
	}
}

func pushBytes(v []uint32) []byte {
	b := make([]byte, 0, 4*len(v))
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, x)
	}
	return b
}

// nativeWork runs a plan: upload the params and constants, one dispatch
// per computed value, download the outputs.
func (s *Substrate) nativeWork(d *device, p *native.Program, inputs []sokr.Tensor) (*work, error) {
	if err := p.CheckInputs(inputs); err != nil { // a Dispatch without the runtime's check
		return nil, err
	}
	pl, err := s.plan(p)
	if err != nil {
		return nil, &sokr.InputError{Index: -1, Msg: "vulkan cannot run this program: " + err.Error()}
	}
	var pipes [numKernels]*pipeline
	for _, st := range pl.steps {
		if pipes[st.k] == nil {
			if pipes[st.k], err = s.builtin(d, st.k); err != nil {
				return nil, s.fault("cannot create the "+kernelFiles[st.k]+" kernel", err)
			}
		}
	}
	// Staging: the params and constants, the fused chains' code, then the
	// outputs.
	w := &work{devBytes: []int64{pl.arenaBytes}}
	if pl.inBytes > 0 {
		w.uploads = append(w.uploads, transfer{buf: 0, size: pl.inBytes})
	}
	w.stage = align(pl.inBytes)
	codeStage := w.stage
	if n := 4 * int64(len(pl.code)); n > 0 {
		w.uploads = append(w.uploads, transfer{buf: 0, off: 4 * int64(pl.codeOff), stage: codeStage, size: n})
		w.stage += align(n)
	}
	outStage := make([]int64, len(pl.outputs))
	for i, o := range pl.outputs {
		n := 4 * int64(width(p.Nodes[o])*p.Nodes[o].Type.Shape.NumElements())
		outStage[i] = w.stage
		w.downloads = append(w.downloads, transfer{buf: 0, off: 4 * int64(pl.offset[o]), stage: w.stage, size: n})
		w.stage += align(n)
	}
	arena := []stepBinding{{buf: 0, length: pl.arenaBytes}, {buf: 0, length: pl.arenaBytes}}
	for _, st := range pl.steps {
		w.steps = append(w.steps, step{pipe: pipes[st.k], binds: arena[:kernelBindings[st.k]],
			push: pushBytes(st.push), groups: st.groups})
	}
	w.fill = func(stage []byte) error {
		for i, off := range pl.params {
			putF32(stage[4*off:], inputs[i])
		}
		for _, i := range pl.consts {
			putConst(stage[4*int64(pl.offset[i]):], p.Nodes[i])
		}
		for i, c := range pl.code {
			binary.LittleEndian.PutUint32(stage[codeStage+4*int64(i):], c)
		}
		return nil
	}
	w.collect = func(stage []byte) (sokr.Result, error) {
		var res sokr.Result
		for i, o := range pl.outputs {
			n := p.Nodes[o]
			t := sokr.NewTensor(n.Type.DType, n.Type.Shape...)
			src := stage[outStage[i]:]
			if n.Type.DType == sokr.Bool {
				for e := range t.Data {
					if binary.LittleEndian.Uint32(src[4*e:]) != 0 {
						t.Data[e] = 1
					}
				}
			} else {
				copy(t.Data, src[:len(t.Data)])
			}
			res.Outputs = append(res.Outputs, sokr.Output{Name: n.Name, Tensor: t})
		}
		res.Meta = map[string]string{"kernels": fmt.Sprint(len(pl.steps))}
		return res, nil
	}
	return w, nil
}

// builtin returns built-in kernel k's pipeline, created on first use (f64
// kernels only where a program needs them: they need shaderFloat64).
func (s *Substrate) builtin(d *device, k kernel) (*pipeline, error) {
	s.pipeMu.Lock()
	defer s.pipeMu.Unlock()
	if p := s.builtins[k]; p != nil {
		return p, nil
	}
	ks, err := kernels()
	if err != nil {
		return nil, err
	}
	nb := kernelBindings[k]
	zeros, nums := make([]uint32, nb), make([]uint32, nb)
	for b := range nums {
		nums[b] = uint32(b)
	}
	var counts []uint32
	if k >= kQInit {
		counts = []uint32{qChunks, 1, 1} // the state's chunks, aux, out
	}
	p, err := d.newPipeline(ks[k].Words, "main", zeros, nums, zeros, counts, uint32(pushRange(ks[k])), specialization{})
	if err != nil {
		return nil, err
	}
	s.outside.Add(pipelineBytes(len(ks[k].Words), nb, "main", specialization{}))
	s.builtins[k] = p
	return p, nil
}

// putF32 writes a tensor into the staging buffer: f32 and f64 as they are,
// bool as f32 0 or 1.
func putF32(dst []byte, t sokr.Tensor) {
	if t.DType != sokr.Bool {
		copy(dst, t.Data)
		return
	}
	one := math.Float32bits(1)
	for i, b := range t.Data {
		v := uint32(0)
		if b != 0 {
			v = one
		}
		binary.LittleEndian.PutUint32(dst[4*i:], v)
	}
}
