//go:build cgo

package vulkan

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/sokr-rs/sokr/pkg/ir/native"
	"github.com/sokr-rs/sokr/pkg/ir/nir"
	"github.com/sokr-rs/sokr/pkg/ir/spirv"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// deviceCaps says, for each SPIR-V capability SOKR knows how to check, whether
// the device has it. A capability missing here is refused.
func (s *Substrate) hasCapability(name string) bool {
	i := s.info
	switch name {
	case "Shader", "Matrix":
		return true
	case "GroupNonUniform", "GroupNonUniformVote", "GroupNonUniformArithmetic", "GroupNonUniformBallot",
		"GroupNonUniformShuffle", "GroupNonUniformShuffleRelative", "GroupNonUniformClustered", "GroupNonUniformQuad":
		bit := map[string]uint32{"GroupNonUniform": 1, "GroupNonUniformVote": 2, "GroupNonUniformArithmetic": 4,
			"GroupNonUniformBallot": 8, "GroupNonUniformShuffle": 16, "GroupNonUniformShuffleRelative": 32,
			"GroupNonUniformClustered": 64, "GroupNonUniformQuad": 128}[name]
		return i.SubgroupComputeStage && i.SubgroupOps&bit != 0
	}
	return i.features[name]
}

// maxSPIRVMinor is the newest SPIR-V 1.x a Vulkan version must accept.
func maxSPIRVMinor(api uint32) int {
	switch minor := (api >> 12) & 0x3ff; {
	case minor >= 3:
		return 6
	case minor == 2:
		return 5
	case minor == 1:
		return 3
	}
	return 0
}

// checkModule says why the device cannot run m, or "" when it can.
func (s *Substrate) checkModule(m *spirv.Program) string {
	i := s.info
	if minor := maxSPIRVMinor(min(i.API, i.InstanceAPI)); m.Major != 1 || m.Minor > minor {
		return fmt.Sprintf("the module is SPIR-V %d.%d; this device (Vulkan %s) takes SPIR-V up to 1.%d",
			m.Major, m.Minor, apiString(min(i.API, i.InstanceAPI)), minor)
	}
	var compute []spirv.EntryPoint
	for _, e := range m.EntryPoints {
		if e.Model == "GLCompute" {
			compute = append(compute, e)
		}
	}
	if len(compute) == 0 {
		return "the module has no GLCompute entry point (vulkan runs compute shaders only)"
	}
	for _, c := range m.Capabilities {
		if !s.hasCapability(c) {
			return fmt.Sprintf("the module declares capability %s, which %s does not support", c, i.Name)
		}
	}
	for _, e := range compute {
		if e.Invocations() == 0 {
			return fmt.Sprintf("entry point %s has no workgroup size (LocalSize)", e.Name)
		}
		for k := range 3 {
			if e.WorkgroupSize[k] > i.MaxGroupSize[k] {
				return fmt.Sprintf("entry point %s has workgroup size %v; the device allows at most %v",
					e.Name, e.WorkgroupSize, i.MaxGroupSize)
			}
		}
		if n := e.Invocations(); n > int64(i.MaxInvocations) {
			return fmt.Sprintf("entry point %s has %d invocations per workgroup; the device allows at most %d",
				e.Name, n, i.MaxInvocations)
		}
	}
	if m.SharedMemoryBytes > int64(i.MaxShared) {
		return fmt.Sprintf("the module uses %d bytes of shared memory; the device has %d per workgroup",
			m.SharedMemoryBytes, i.MaxShared)
	}
	if push := pushRange(m); push > int64(min(i.MaxPush, maxPushBytes)) {
		return fmt.Sprintf("the module's push constants take %d bytes; %s allows %d",
			push, i.Name, min(i.MaxPush, maxPushBytes))
	}
	var storage, uniform int
	for k, b := range m.Bindings {
		if b.Kind != spirv.StorageBuffer && b.Kind != spirv.UniformBuffer {
			return fmt.Sprintf("binding %d.%d (%s) is %s; vulkan binds storage and uniform buffers only",
				b.Set, b.Binding, b.Name, descriptorNames[b.Kind])
		}
		if k > 0 && m.Bindings[k-1].Set == b.Set && m.Bindings[k-1].Binding == b.Binding {
			return fmt.Sprintf("two variables share binding %d.%d (%s and %s)", b.Set, b.Binding, m.Bindings[k-1].Name, b.Name)
		}
		if b.Set >= min(i.MaxBoundSets, 8) {
			return fmt.Sprintf("binding %d.%d is in set %d; SOKR binds sets 0 to %d on this device",
				b.Set, b.Binding, b.Set, min(i.MaxBoundSets, 8)-1)
		}
		limit := int64(i.MaxStorageRange)
		if b.Kind == spirv.UniformBuffer {
			uniform++
			limit = int64(i.MaxUniformRange)
		} else {
			storage++
		}
		if b.BlockSize > limit {
			return fmt.Sprintf("binding %d.%d (%s) needs at least %d bytes; the device's largest %s is %d bytes",
				b.Set, b.Binding, b.Name, b.BlockSize, b.Kind, limit)
		}
	}
	if storage > int(min(i.MaxStoragePerStage, maxBindings)) {
		return fmt.Sprintf("the module binds %d storage buffers; the device allows %d", storage, min(i.MaxStoragePerStage, maxBindings))
	}
	if uniform > int(min(i.MaxUniformPerStage, 64)) {
		return fmt.Sprintf("the module binds %d uniform buffers; the device allows %d", uniform, min(i.MaxUniformPerStage, 64))
	}
	if storage+uniform > maxBindings {
		return fmt.Sprintf("the module binds %d buffers; vulkan binds at most %d per dispatch", storage+uniform, maxBindings)
	}
	return ""
}

var descriptorNames = map[spirv.BindingKind]string{spirv.Image: "an image", spirv.Sampler: "a sampler",
	spirv.SampledImage: "a sampled image", spirv.AccelerationStructure: "an acceleration structure",
	spirv.OtherDescriptor: "a descriptor of another kind"}

func inputErr(msg string, args ...any) error {
	return &sokr.InputError{Index: -1, Msg: fmt.Sprintf(msg, args...)}
}

// work builds what a dispatch of j's program needs.
func (s *Substrate) work(d *device, j *sokr.Job) (*work, error) {
	switch p := j.Program.(type) {
	case *spirv.Program:
		return s.moduleWork(d, p, j.Inputs, j.Options)
	case *native.Program:
		return s.nativeWork(d, p, j.Inputs)
	case *nir.Program:
		return s.nirWork(d, p, j.Inputs, j.Options)
	}
	return nil, inputErr("vulkan cannot run %s programs", j.Program.Format())
}

// entryPoint finds the named GLCompute entry point, or the first one.
func entryPoint(m *spirv.Program, name string) (spirv.EntryPoint, error) {
	var names []string
	for _, e := range m.EntryPoints {
		if e.Model != "GLCompute" {
			continue
		}
		if name == "" || e.Name == name {
			return e, nil
		}
		names = append(names, e.Name)
	}
	return spirv.EntryPoint{}, inputErr("option entry_point: the module has no GLCompute entry point %q (it has %s)",
		name, strings.Join(names, ", "))
}

// bindingName names a binding's output: its block name when unique, else
// "set.binding".
func bindingName(m *spirv.Program, b spirv.Binding) string {
	n := 0
	for _, o := range m.Bindings {
		if o.Name == b.Name {
			n++
		}
	}
	if b.Name != "" && n == 1 {
		return b.Name
	}
	return fmt.Sprintf("%d.%d", b.Set, b.Binding)
}

// moduleWork: one device buffer per binding, given by the inputs in
// binding order, uploaded, dispatched once, and the writable ones read
// back as outputs with their input's dtype and shape.
func (s *Substrate) moduleWork(d *device, m *spirv.Program, inputs []sokr.Tensor, opts sokr.Options) (*work, error) {
	if why := s.checkModule(m); why != "" { // a Dispatch without Capability first
		return nil, inputErr("vulkan cannot run this module: %s", why)
	}
	entry, _ := opts.Param("entry_point", "").(string)
	e, err := entryPoint(m, entry)
	if err != nil {
		return nil, err
	}
	spec, err := specialize(m, opts.Param("spec_constants", nil))
	if err != nil {
		return nil, err
	}
	if e, err = s.specializedSize(e, spec); err != nil {
		return nil, err
	}
	if len(inputs) != len(m.Bindings) {
		return nil, inputErr("the module has %d buffer bindings (%s) and takes one array per binding, in (set, binding) order; %d were given",
			len(m.Bindings), bindingList(m), len(inputs))
	}
	push, err := pushConstants(opts.Param("push_constants", nil), m.PushConstantBytes)
	if err != nil {
		return nil, err
	}
	push = append(push, make([]byte, pushRange(m)-int64(len(push)))...) // Vulkan pushes whole words
	w := &work{}
	var sets, nums, uniform []uint32
	var binds []stepBinding
	var largest int64
	for i, b := range m.Bindings {
		t := inputs[i]
		n := int64(len(t.Data))
		where := fmt.Sprintf("binding %d.%d (%s)", b.Set, b.Binding, b.Name)
		limit, kind := int64(s.info.MaxStorageRange), "storage buffer"
		if b.Kind == spirv.UniformBuffer {
			limit, kind = int64(s.info.MaxUniformRange), "uniform buffer"
		}
		switch {
		case n == 0:
			return nil, &sokr.InputError{Index: i, Msg: where + " is given an empty array"}
		case n < b.BlockSize:
			return nil, &sokr.InputError{Index: i, Msg: fmt.Sprintf("%s needs at least %d bytes; the array has %d", where, b.BlockSize, n)}
		case b.RuntimeStride == 0 && n != b.BlockSize:
			return nil, &sokr.InputError{Index: i, Msg: fmt.Sprintf("%s is a fixed block of %d bytes; the array has %d", where, b.BlockSize, n)}
		case b.RuntimeStride > 0 && (n-b.BlockSize)%b.RuntimeStride != 0:
			return nil, &sokr.InputError{Index: i, Msg: fmt.Sprintf("%s holds %d bytes plus %d-byte elements; the array's %d bytes do not fit that",
				where, b.BlockSize, b.RuntimeStride, n)}
		case !elementFits(t.DType, b.Element):
			return nil, &sokr.InputError{Index: i, Msg: fmt.Sprintf("%s holds %s elements; the array is %s (convert it first)", where, b.Element, t.DType)}
		case n > limit || uint64(n) > s.info.MaxAlloc:
			return nil, &sokr.InputError{Index: i, Msg: fmt.Sprintf("%s is given %d bytes; the largest %s on %s is %d bytes",
				where, n, kind, s.info.Name, min(limit, int64(s.info.MaxAlloc)))}
		}
		off := w.stage
		w.stage += align(n)
		w.devBytes = append(w.devBytes, n)
		w.uploads = append(w.uploads, transfer{buf: i, stage: off, size: n})
		if b.Kind != spirv.UniformBuffer && !b.ReadOnly {
			w.downloads = append(w.downloads, transfer{buf: i, stage: off, size: n})
		}
		sets, nums = append(sets, b.Set), append(nums, b.Binding)
		u := uint32(0)
		if b.Kind == spirv.UniformBuffer {
			u = 1
		}
		uniform = append(uniform, u)
		binds = append(binds, stepBinding{buf: i, length: n})
		if b.RuntimeStride > 0 {
			largest = max(largest, (n-b.BlockSize)/b.RuntimeStride)
		}
	}
	groups, err := s.groups(opts.Param("groups", nil), e, largest)
	if err != nil {
		return nil, err
	}
	pipe, err := s.pipelineFor(d, m, e.Name, sets, nums, uniform, spec.specialization)
	if err != nil {
		return nil, s.fault("cannot create the pipeline for "+e.Name, err)
	}
	w.steps = []step{{pipe: pipe, binds: binds, push: push, groups: groups}}
	w.fill = func(stage []byte) error {
		for i, u := range w.uploads {
			copy(stage[u.stage:u.stage+u.size], inputs[i].Data)
		}
		return nil
	}
	w.collect = func(stage []byte) (sokr.Result, error) {
		var res sokr.Result
		for _, dl := range w.downloads {
			t := inputs[dl.buf]
			out := sokr.Tensor{DType: t.DType, Shape: t.Shape, Data: make([]byte, dl.size)}
			copy(out.Data, stage[dl.stage:dl.stage+dl.size])
			res.Outputs = append(res.Outputs, sokr.Output{Name: bindingName(m, m.Bindings[dl.buf]), Tensor: out})
		}
		res.Meta = map[string]string{"entry_point": e.Name, "groups": fmt.Sprintf("%d,%d,%d", groups[0], groups[1], groups[2])}
		return res, nil
	}
	return w, nil
}

// elementFits says whether an array of dtype may fill a runtime array of
// element (the binding's reflected scalar type; "" for structs). Element
// types SOKR has no dtype for (float16, int8, ...) take any array's bytes.
func elementFits(dt sokr.DType, element string) bool {
	want, ok := map[string][]sokr.DType{
		"float32": {sokr.F32, sokr.C64},
		"float64": {sokr.F64, sokr.C128},
		"int32":   {sokr.I32},
		"int64":   {sokr.I64},
	}[element]
	return !ok || slices.Contains(want, dt)
}

func bindingList(m *spirv.Program) string {
	var parts []string
	for _, b := range m.Bindings {
		parts = append(parts, fmt.Sprintf("%d.%d %s", b.Set, b.Binding, b.Name))
	}
	return strings.Join(parts, ", ")
}

// specialized is a module's specialization: the pipeline's entries and
// each specialized constant's value by id.
type specialized struct {
	specialization
	values map[int]uint64
}

// specialize reads the "spec_constants" option: a map from a constant's id
// (an int, or its decimal string as JSON gives it) or name to its value,
// encoded as the constant's type says (bool, 32- or 64-bit int, float).
func specialize(m *spirv.Program, v any) (specialized, error) {
	sp := specialized{values: map[int]uint64{}}
	var given map[string]any
	switch v := v.(type) {
	case nil:
		return sp, nil
	case map[string]any:
		given = v
	case map[int]any:
		given = map[string]any{}
		for k, x := range v {
			given[strconv.Itoa(k)] = x
		}
	default:
		return sp, inputErr("option spec_constants: want a map from constant id or name to value, got %T", v)
	}
	keys := make([]string, 0, len(given))
	for k := range given {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		var c *spirv.SpecConstant
		for i := range m.SpecConstants {
			if sc := &m.SpecConstants[i]; strconv.Itoa(sc.ID) == k || (sc.Name != "" && sc.Name == k) {
				c = sc
				break
			}
		}
		if c == nil {
			var have []string
			for _, sc := range m.SpecConstants {
				have = append(have, fmt.Sprintf("%d %s", sc.ID, sc.Name))
			}
			return sp, inputErr("option spec_constants: the module has no specialization constant %q (it has: %s)", k, strings.Join(have, ", "))
		}
		bits, size, err := specBits(c.Type, given[k])
		if err != nil {
			return sp, inputErr("option spec_constants: constant %q (%s): %v", k, c.Type, err)
		}
		if _, dup := sp.values[c.ID]; dup {
			return sp, inputErr("option spec_constants: constant %d is given twice (by id and by name)", c.ID)
		}
		sp.values[c.ID] = bits
		sp.ids = append(sp.ids, uint32(c.ID))
		sp.offsets = append(sp.offsets, uint32(len(sp.data)))
		sp.sizes = append(sp.sizes, uint32(size))
		sp.data = binary.LittleEndian.AppendUint64(sp.data, bits)[:len(sp.data)+size]
	}
	return sp, nil
}

// specBits encodes a value for a constant of type typ.
func specBits(typ string, v any) (bits uint64, size int, err error) {
	if b, ok := v.(bool); ok {
		if typ != "bool" {
			return 0, 0, fmt.Errorf("a bool for a %s", typ)
		}
		if b {
			return 1, 4, nil
		}
		return 0, 4, nil
	}
	f, ok := number(v)
	if !ok {
		return 0, 0, fmt.Errorf("want a number or a bool, got %T", v)
	}
	whole := f == math.Trunc(f)
	switch typ {
	case "float32":
		return uint64(math.Float32bits(float32(f))), 4, nil
	case "float64":
		return math.Float64bits(f), 8, nil
	case "int32":
		if whole && f >= math.MinInt32 && f <= math.MaxInt32 {
			return uint64(uint32(int32(f))), 4, nil
		}
	case "uint32":
		if whole && f >= 0 && f <= math.MaxUint32 {
			return uint64(uint32(f)), 4, nil
		}
	case "int64", "uint64":
		if whole && (typ == "int64" || f >= 0) {
			return uint64(int64(f)), 8, nil
		}
	case "bool":
		if f == 0 || f == 1 {
			return uint64(f), 4, nil
		}
	default:
		return 0, 0, fmt.Errorf("SOKR cannot set constants of this type")
	}
	return 0, 0, fmt.Errorf("%v does not fit", v)
}

// specializedSize applies the specialization to the entry point's
// workgroup size and checks it against the device.
func (s *Substrate) specializedSize(e spirv.EntryPoint, sp specialized) (spirv.EntryPoint, error) {
	for k := range 3 {
		if id := e.WorkgroupSpecID[k]; id >= 0 {
			if v, ok := sp.values[id]; ok {
				e.WorkgroupSize[k] = uint32(v)
			}
		}
	}
	i := s.info
	for k := range 3 {
		if e.WorkgroupSize[k] == 0 || e.WorkgroupSize[k] > i.MaxGroupSize[k] {
			return e, inputErr("entry point %s: workgroup size %v after specialization; the device allows 1 to %v", e.Name, e.WorkgroupSize, i.MaxGroupSize)
		}
	}
	if n := e.Invocations(); n > int64(i.MaxInvocations) {
		return e, inputErr("entry point %s: %d invocations per workgroup after specialization; the device allows %d", e.Name, n, i.MaxInvocations)
	}
	return e, nil
}

// maxPushBytes is the most push-constant bytes a dispatch carries (the
// frame's scratch in vk.c).
const maxPushBytes = 512

// pushRange is the module's push-constant block rounded up to whole 32-bit
// words, as Vulkan's push-constant ranges must be.
func pushRange(m *spirv.Program) int64 { return (m.PushConstantBytes + 3) &^ 3 }

// align rounds a staging offset up to 256 bytes (every device's copy and
// binding alignment).
func align(n int64) int64 { return (n + 255) &^ 255 }

// groups reads the "groups" option (one to three counts), or derives the
// x count from the largest runtime array: one invocation per element.
func (s *Substrate) groups(v any, e spirv.EntryPoint, elements int64) ([3]uint32, error) {
	g := [3]uint32{1, 1, 1}
	var counts []int64
	switch v := v.(type) {
	case nil:
		if elements == 0 {
			return g, nil
		}
		x := int64(max(e.WorkgroupSize[0], 1))
		counts = []int64{(elements + x - 1) / x}
	case []int:
		for _, x := range v {
			counts = append(counts, int64(x))
		}
	case [3]uint32:
		counts = []int64{int64(v[0]), int64(v[1]), int64(v[2])}
	case []any:
		for _, x := range v {
			f, ok := number(x)
			if !ok || f != math.Trunc(f) {
				return g, inputErr("option groups: %v is not a whole number", x)
			}
			counts = append(counts, int64(f))
		}
	default:
		f, ok := number(v)
		if !ok {
			return g, inputErr("option groups: want one to three workgroup counts, got %T", v)
		}
		if f != math.Trunc(f) {
			return g, inputErr("option groups: %v is not a whole number", v)
		}
		counts = []int64{int64(f)}
	}
	if len(counts) == 0 || len(counts) > 3 {
		return g, inputErr("option groups: want one to three workgroup counts, got %d", len(counts))
	}
	for k, c := range counts {
		if c < 1 || c > int64(s.info.MaxGroupCount[k]) {
			return g, inputErr("option groups: count %d in dimension %d is outside 1..%d (the device's limit)",
				c, k, s.info.MaxGroupCount[k])
		}
		g[k] = uint32(c)
	}
	return g, nil
}

// number reads an option's number, given in Go or as JSON (a float64).
func number(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case int32:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint32:
		return float64(x), true
	case float32:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// pushConstants reads the "push_constants" option: bytes ([]byte, or a
// string "base64:..." as Python sends them) or 32-bit words ([]float32,
// []uint32, []int32), exactly as long as the module's block.
func pushConstants(v any, want int64) ([]byte, error) {
	var b []byte
	words := -1 // the count of a word slice, checked before it is converted
	switch v := v.(type) {
	case []float32:
		words = len(v)
	case []uint32:
		words = len(v)
	case []int32:
		words = len(v)
	}
	if words >= 0 && int64(4*words) != want {
		// A block holds at most maxPushBytes: refuse a long slice before
		// converting it, rather than allocate its bytes to refuse them.
		return nil, pushLengthErr(want, 4*words)
	}
	switch v := v.(type) {
	case nil:
	case []byte:
		b = v
	case string:
		enc, ok := strings.CutPrefix(v, "base64:")
		var err error
		if b, err = base64.StdEncoding.DecodeString(enc); !ok || err != nil {
			return nil, inputErr("option push_constants: a string must be \"base64:\" and base64 bytes")
		}
	case []float32:
		b = binary.LittleEndian.AppendUint32(nil, 0)[:0]
		for _, x := range v {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
		}
	case []uint32:
		for _, x := range v {
			b = binary.LittleEndian.AppendUint32(b, x)
		}
	case []int32:
		for _, x := range v {
			b = binary.LittleEndian.AppendUint32(b, uint32(x))
		}
	default:
		return nil, inputErr("option push_constants: want bytes or 32-bit words, got %T", v)
	}
	if int64(len(b)) != want {
		return nil, pushLengthErr(want, len(b))
	}
	return b, nil
}

func pushLengthErr(want int64, given int) error {
	if want == 0 {
		return inputErr("option push_constants: the module has no push-constant block, but %d bytes were given", given)
	}
	return inputErr("option push_constants: the module's push-constant block is %d bytes; %d were given", want, given)
}
