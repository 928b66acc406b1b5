package spirv

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
)

// finish checks the entry points and reflects the module.
func (p *parser) finish(prog *Program) (*Program, error) {
	for _, e := range p.entries {
		if !p.functions[e.fn] {
			return nil, fail(e.word, "entry point %q names %%%d, which is not a function of the module", e.name, e.fn)
		}
		model, ok := models[e.model]
		if !ok {
			model = fmt.Sprintf("Model%d", e.model)
		}
		ep := EntryPoint{Name: e.name, Model: model, WorkgroupSpecID: [3]int{-1, -1, -1}}
		for _, m := range p.modes {
			if m.fn != e.fn || len(m.args) < 3 {
				continue
			}
			switch {
			case m.mode == modeLocalSize && !m.id:
				copy(ep.WorkgroupSize[:], m.args[:3])
			case m.mode == modeLocalSizeID:
				for k := range 3 {
					ep.WorkgroupSize[k], ep.WorkgroupSpecID[k] = p.constant(m.args[k])
				}
			}
		}
		// A WorkgroupSize built-in overrides the execution mode.
		for id, d := range p.decs {
			if d.builtin == builtInWorkgroupSize && len(d.compositeConstituents) == 3 {
				_ = id
				for k, c := range d.compositeConstituents {
					ep.WorkgroupSize[k], ep.WorkgroupSpecID[k] = p.constant(c)
				}
			}
		}
		prog.EntryPoints = append(prog.EntryPoints, ep)
	}

	for _, v := range p.vars {
		pt := p.types[v.ptr]
		if pt == nil || pt.op != opTypePointer {
			continue
		}
		vd := p.dec(v.id)
		switch v.storage {
		case scWorkgroup:
			size, _ := p.size(pt.elem, 0)
			prog.SharedMemoryBytes += size
		case scPushConstant:
			size, _ := p.blockSize(pt.elem)
			prog.PushConstantBytes = max(prog.PushConstantBytes, size)
		case scUniformConstant:
			if vd.set < 0 && vd.binding < 0 {
				continue // not a descriptor
			}
			kind := OtherDescriptor
			t := p.types[pt.elem]
			for t != nil && (t.op == opTypeArray || t.op == opTypeRuntimeArray) {
				t = p.types[t.elem]
			}
			if t != nil {
				switch t.op {
				case opTypeImage:
					kind = Image
				case opTypeSampler:
					kind = Sampler
				case opTypeSampledImage:
					kind = SampledImage
				case opTypeAccelStruct:
					kind = AccelerationStructure
				}
			}
			prog.Bindings = append(prog.Bindings, Binding{Set: uint32(max(vd.set, 0)), Binding: uint32(max(vd.binding, 0)),
				Kind: kind, Name: p.names[v.id]})
		case scStorageBuffer, scUniform:
			block := p.dec(pt.elem)
			var kind BindingKind
			switch {
			case v.storage == scStorageBuffer || block.bufferBlock:
				kind = StorageBuffer
			case block.block:
				kind = UniformBuffer
			default:
				continue
			}
			size, stride := p.blockSize(pt.elem)
			b := Binding{Set: uint32(max(vd.set, 0)), Binding: uint32(max(vd.binding, 0)), Kind: kind,
				Name: p.names[pt.elem], BlockSize: size, RuntimeStride: stride, Element: p.runtimeElement(pt.elem)}
			if b.Name == "" {
				b.Name = p.names[v.id]
			}
			b.ReadOnly = vd.nonWritable || allMembers(block.memberCount, block.memberNonWritable)
			b.WriteOnly = vd.nonRead || allMembers(block.memberCount, block.memberNonReadable)
			prog.Bindings = append(prog.Bindings, b)
		}
	}
	slices.SortFunc(prog.Bindings, func(a, b Binding) int {
		return cmp.Or(cmp.Compare(a.Set, b.Set), cmp.Compare(a.Binding, b.Binding))
	})

	for _, id := range p.order {
		d := p.dec(id)
		if d.specID < 0 {
			continue
		}
		prog.SpecConstants = append(prog.SpecConstants, SpecConstant{ID: int(d.specID), Name: p.names[id],
			Type: p.scalarName(d.constType), Default: d.constValue})
	}
	return prog, nil
}

// scalarName names a scalar type: "bool", "int32", "uint32", "float32", ...
// ("" for anything else).
func (p *parser) scalarName(id uint32) string {
	t := p.types[id]
	switch {
	case t == nil:
		return ""
	case t.op == opTypeBool:
		return "bool"
	case t.op == opTypeFloat:
		return "float" + strconv.Itoa(int(t.width))
	case t.op == opTypeInt && t.signed:
		return "int" + strconv.Itoa(int(t.width))
	case t.op == opTypeInt:
		return "uint" + strconv.Itoa(int(t.width))
	}
	return ""
}

// runtimeElement names the scalar type of a block's trailing runtime array
// ("float32", "int32", ...), when its elements are scalars, vectors or
// matrices of one; "" otherwise.
func (p *parser) runtimeElement(block uint32) string {
	t := p.types[block]
	if t == nil || t.op != opTypeStruct || len(t.members) == 0 {
		return ""
	}
	a := p.types[t.members[len(t.members)-1]]
	if a == nil || a.op != opTypeRuntimeArray {
		return ""
	}
	e := p.types[a.elem]
	for e != nil && (e.op == opTypeVector || e.op == opTypeMatrix) {
		e = p.types[e.elem]
	}
	switch {
	case e == nil:
		return ""
	case e.op == opTypeFloat:
		return "float" + strconv.Itoa(int(e.width))
	case e.op == opTypeInt:
		return "int" + strconv.Itoa(int(e.width))
	}
	return ""
}

func allMembers(n uint32, set map[uint32]bool) bool {
	if n == 0 || len(set) == 0 {
		return false
	}
	for m := range n {
		if !set[m] {
			return false
		}
	}
	return true
}

// constant returns a constant's value, and its specialization id (-1 for a
// plain constant).
func (p *parser) constant(id uint32) (uint32, int) {
	d := p.dec(id)
	v := uint32(min(d.constValue, math.MaxUint32))
	if d.isSpecConst && d.specID >= 0 {
		return v, int(d.specID)
	}
	return v, -1
}

// maxDepth bounds type nesting, so that a malicious module cannot recurse
// forever through self-referencing types.
const maxDepth = 64

// size is a type's size in bytes as laid out in a buffer; a runtime array
// has size 0. ok is false for types without a size (a cycle, an unknown
// id). Sizes are memoised, so that a module whose types share members
// many times over costs no more than its types.
func (p *parser) size(id uint32, depth int) (int64, bool) {
	if s, ok := p.sizes[id]; ok {
		return s, s >= 0
	}
	t := p.types[id]
	if t == nil || depth > maxDepth || p.visiting[id] {
		return 0, false
	}
	p.visiting[id] = true
	s, ok := p.sizeOf(id, t, depth)
	delete(p.visiting, id)
	if !ok {
		s = -1
	}
	p.sizes[id] = s
	return max(s, 0), ok
}

func (p *parser) sizeOf(id uint32, t *typ, depth int) (int64, bool) {
	switch t.op {
	case opTypeBool:
		return 4, true
	case opTypeInt, opTypeFloat:
		return int64(t.width / 8), true
	case opTypeVector:
		e, ok := p.size(t.elem, depth+1)
		return mulCap(e, int64(t.count)), ok
	case opTypeMatrix:
		col, ok := p.size(t.elem, depth+1)
		return mulCap(col, int64(t.count)), ok
	case opTypeArray:
		n, _ := p.constant(t.length)
		stride := p.dec(id).arrayStride
		if stride == 0 {
			e, ok := p.size(t.elem, depth+1)
			if !ok {
				return 0, false
			}
			stride = e
		}
		return mulCap(stride, int64(n)), true
	case opTypeRuntimeArray:
		return 0, true
	case opTypeStruct:
		s, _ := p.structSize(id, depth+1)
		return s, true
	}
	return 0, false
}

// blockSize is a block's fixed size and the stride of its trailing runtime
// array (0 when it has none).
func (p *parser) blockSize(id uint32) (int64, int64) {
	return p.structSize(id, 0)
}

func (p *parser) structSize(id uint32, depth int) (int64, int64) {
	t := p.types[id]
	if t == nil || t.op != opTypeStruct || depth > maxDepth || p.visiting[id] && depth == 0 {
		size, _ := p.size(id, depth+1)
		return size, 0
	}
	d := p.dec(id)
	var end, stride int64
	var off int64
	for m, mt := range t.members {
		if o, ok := d.memberOffset[uint32(m)]; ok {
			off = o
		}
		mtt := p.types[mt]
		if mtt != nil && mtt.op == opTypeRuntimeArray {
			stride = p.dec(mt).arrayStride
			if stride == 0 {
				stride, _ = p.size(mtt.elem, depth+1)
			}
			end = max(end, off)
			continue
		}
		sz, _ := p.size(mt, depth+1)
		if ms, ok := d.memberMatrixStride[uint32(m)]; ok && mtt != nil && mtt.op == opTypeMatrix {
			sz = ms * int64(mtt.count)
		}
		end = max(end, off+sz)
		off += sz
	}
	return end, stride
}

// sizeCap bounds reflected sizes (1 PiB): a module may declare arrays no
// device could hold, and sizes must not overflow.
const sizeCap = 1 << 50

func mulCap(a, b int64) int64 {
	if a <= 0 || b <= 0 {
		return 0
	}
	if a > sizeCap/b {
		return sizeCap
	}
	return a * b
}
