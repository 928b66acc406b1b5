// Package spirv reads SPIR-V binary modules, format "spirv/1": it checks
// their structure and reflects what a compute substrate needs to run them —
// capabilities, entry points and workgroup sizes, descriptor bindings, push
// constants, shared memory and specialization constants.
//
//	p, err := spirv.Parse(words) // bytes of a .spv file
//	ep := p.EntryPoints[0]       // {Name: "main", Model: "GLCompute", WorkgroupSize: [256 1 1]}
//	for _, b := range p.Bindings {
//		fmt.Println(b.Set, b.Binding, b.Kind, b.BlockSize) // 0 0 storage_buffer 0
//	}
//
// Parse refuses a malformed module with a *sokr.ProgramError whose
// Pos.Offset is the word offset of the fault (the header is words 0–4):
// a missing or wrong magic number, a version outside 1.0–1.6, a zero id
// bound, an instruction whose word count is zero or runs past the end, one
// too short for its operands, a declaration (type, constant, variable,
// function) whose result id is 0, at or beyond the bound, or defined twice,
// a decoration of an id beyond the bound, a string without its terminator,
// or an entry point naming no function. It does not replace
// spirv-val's full semantic validation (the tests compare the two on the
// modules they use); a substrate's driver validates further when it builds
// a pipeline.
//
// Reflection follows spirv-cross's: storage buffers are variables in the
// StorageBuffer storage class, or Uniform with BufferBlock; uniform buffers
// are Uniform with Block. A block's size is the end of its last member with
// a fixed size (a runtime array at the end adds nothing), as Vulkan's
// minimum buffer size for the binding. Workgroup sizes come from the
// LocalSize execution mode, LocalSizeId, or a WorkgroupSize built-in
// constant (which wins, as the specification says); a dimension set by a
// specialization constant records its id and default.
package spirv

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/sokr-rs/sokr/pkg/internal/irparse"
	"github.com/sokr-rs/sokr/pkg/sokr"
)

// Format is the IR's format name: SPIR-V 1.0 to 1.6 binary modules.
const Format = "spirv/1"

// Magic is the first word of a SPIR-V module.
const Magic = 0x07230203

// Program is a SPIR-V module that passed Parse, with its reflection. It is
// immutable and safe for concurrent use.
type Program struct {
	// Words is the module, in host order.
	Words []uint32
	// Major and Minor are the SPIR-V version of the header.
	Major, Minor int
	// Capabilities the module declares, by name ("Shader", "Float64", ...;
	// "Capability<N>" for a number this package does not name).
	Capabilities []string
	// Extensions the module declares (OpExtension).
	Extensions []string
	// EntryPoints in module order.
	EntryPoints []EntryPoint
	// Bindings are the descriptor bindings (buffers), by set and binding.
	Bindings []Binding
	// PushConstantBytes is the size of the push-constant block (0: none).
	PushConstantBytes int64
	// SharedMemoryBytes is the total size of Workgroup-storage variables.
	SharedMemoryBytes int64
	// SpecConstants are the specialization constants, by id.
	SpecConstants []SpecConstant

	// src is the bytes the IR plugin parsed, for ProgramSource.
	src []byte

	reqOnce sync.Once
	req     sokr.Requirements
	hash    func() [32]byte
}

// EntryPoint is an OpEntryPoint with its execution modes.
type EntryPoint struct {
	Name  string `json:"name"`
	Model string `json:"model"` // "GLCompute", "Kernel", "Vertex", ...
	// WorkgroupSize is the local size (compute models): literals, or the
	// defaults of the specialization constants in WorkgroupSpecID.
	WorkgroupSize [3]uint32 `json:"workgroup_size"`
	// WorkgroupSpecID is the specialization constant id of each dimension
	// (-1: a literal).
	WorkgroupSpecID [3]int `json:"workgroup_spec_id"`
}

// Invocations is the number of invocations in one workgroup.
func (e EntryPoint) Invocations() int64 {
	return int64(e.WorkgroupSize[0]) * int64(e.WorkgroupSize[1]) * int64(e.WorkgroupSize[2])
}

// BindingKind says what a descriptor binding holds.
type BindingKind string

// Binding kinds.
const (
	StorageBuffer BindingKind = "storage_buffer"
	UniformBuffer BindingKind = "uniform_buffer"
	// The other descriptors (UniformConstant variables): reflected so that
	// a substrate binding buffers only can refuse them.
	Image                 BindingKind = "image" // storage, sampled or texel-buffer image
	Sampler               BindingKind = "sampler"
	SampledImage          BindingKind = "sampled_image"
	AccelerationStructure BindingKind = "acceleration_structure"
	OtherDescriptor       BindingKind = "descriptor"
)

// Binding is one descriptor binding of a buffer.
type Binding struct {
	Set     uint32      `json:"set"`
	Binding uint32      `json:"binding"`
	Kind    BindingKind `json:"kind"`
	Name    string      `json:"name"` // the block's type name, as spirv-cross reports it
	// BlockSize is the fixed part of the block in bytes; a trailing runtime
	// array of RuntimeStride bytes per element may follow (RuntimeStride 0:
	// none).
	BlockSize     int64 `json:"block_size"`
	RuntimeStride int64 `json:"runtime_stride"`
	// Element is the scalar type of the runtime array's elements ("float32",
	// "float64", "int32", ... — int for signed and unsigned alike), when they
	// are scalars, vectors or matrices; "" for structs or no runtime array.
	Element   string `json:"element,omitempty"`
	ReadOnly  bool   `json:"read_only"`  // NonWritable on the variable or every member
	WriteOnly bool   `json:"write_only"` // NonReadable on the variable or every member
}

// SpecConstant is a scalar specialization constant.
type SpecConstant struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
	// Type is "bool", "int32", "uint32", "float32", "int64", "uint64",
	// "float64" (or "int16", "float16", ...).
	Type    string `json:"type"`
	Default uint64 `json:"default"` // the literal bits of the default (a bool is 0 or 1)
}

var _ sokr.Program = (*Program)(nil)

// Format returns "spirv/1".
func (p *Program) Format() string { return Format }

// Requirements names each capability ("spirv:Shader", "spirv:Float64"), each
// entry point's model ("spirv:model:GLCompute"), and the quantities
// "shared_memory_bytes", "push_constant_bytes", "workgroup_invocations"
// (the largest entry point's) and "bindings".
func (p *Program) Requirements() sokr.Requirements {
	p.reqOnce.Do(func() {
		var f []string
		for _, c := range p.Capabilities {
			f = append(f, "spirv:"+c)
		}
		var inv int64
		for _, e := range p.EntryPoints {
			f = append(f, "spirv:model:"+e.Model)
			inv = max(inv, e.Invocations())
		}
		slices.Sort(f)
		p.req = sokr.Requirements{Features: slices.Compact(f), Quantities: map[string]int64{
			"shared_memory_bytes":   p.SharedMemoryBytes,
			"push_constant_bytes":   p.PushConstantBytes,
			"workgroup_invocations": inv,
			"bindings":              int64(len(p.Bindings)),
		}}
	})
	return p.req
}

// Hash is the SHA-256 of the module's words (little-endian), computed once:
// a key for caches of compiled pipelines.
func (p *Program) Hash() [32]byte {
	if p.hash == nil {
		return hashWords(p.Words) // a Program made by hand rather than by Parse
	}
	return p.hash()
}

func hashWords(words []uint32) [32]byte {
	b := make([]byte, 4*len(words))
	for i, w := range words {
		binary.LittleEndian.PutUint32(b[4*i:], w)
	}
	return sha256.Sum256(b)
}

// Binding returns the binding at set, binding.
func (p *Program) Binding(set, binding uint32) (Binding, bool) {
	for _, b := range p.Bindings {
		if b.Set == set && b.Binding == binding {
			return b, true
		}
	}
	return Binding{}, false
}

// IR is the sokr.IR plugin for SPIR-V modules; it detects them by their
// magic number.
type IR struct{}

// NewIR returns the plugin.
func NewIR() IR { return IR{} }

var (
	_ sokr.IR       = IR{}
	_ sokr.Detector = IR{}
)

// Format returns "spirv/1".
func (IR) Format() string { return Format }

// Parse reads a module, as the function Parse does, after checking that
// ctx is live. A cancelled or expired ctx gives sokr.ErrCancelled or
// sokr.ErrDeadlineExceeded; on error the Program is nil. The program keeps
// a copy of src (see ProgramSource).
func (IR) Parse(ctx context.Context, src []byte) (sokr.Program, error) {
	return irparse.Run(ctx, func(ctx context.Context) (*Program, error) {
		p, err := parse(ctx, src)
		if err == nil && p != nil {
			p.src = bytes.Clone(src) // the caller's bytes may change; ProgramSource hands these out
		}
		return p, err
	})
}

// Detect recognises the magic number (either byte order).
func (IR) Detect(src []byte) bool {
	if len(src) < 4 {
		return false
	}
	return binary.LittleEndian.Uint32(src) == Magic || binary.BigEndian.Uint32(src) == Magic
}

func fail(word int, format string, args ...any) error {
	return &sokr.ProgramError{Format: Format, Pos: sokr.Position{Offset: int64(word), Unit: "word"},
		Msg: fmt.Sprintf(format, args...)}
}

// Parse reads a SPIR-V module from its bytes (either byte order) and
// reflects it. See the package documentation for what it refuses.
func Parse(src []byte) (*Program, error) { return parse(context.Background(), src) }

// parse is Parse looking at ctx every irparse.PollEvery instructions.
func parse(ctx context.Context, src []byte) (*Program, error) {
	if len(src)%4 != 0 {
		return nil, fail(len(src)/4, "the module is %d bytes, not a whole number of 32-bit words", len(src))
	}
	if len(src) < 20 {
		return nil, fail(len(src)/4, "the module is %d bytes: too short for the 5-word header", len(src))
	}
	order := binary.ByteOrder(binary.LittleEndian)
	if binary.LittleEndian.Uint32(src) != Magic {
		if binary.BigEndian.Uint32(src) != Magic {
			return nil, fail(0, "magic number %#08x is not SPIR-V's %#08x", binary.LittleEndian.Uint32(src), Magic)
		}
		order = binary.BigEndian
	}
	words := make([]uint32, len(src)/4)
	for i := range words {
		words[i] = order.Uint32(src[4*i:])
	}
	return parseWords(ctx, words)
}

// FromWords reads a module already in host-order words.
func FromWords(words []uint32) (*Program, error) {
	if len(words) < 5 {
		return nil, fail(len(words), "the module is %d words: too short for the 5-word header", len(words))
	}
	if words[0] != Magic {
		return nil, fail(0, "magic number %#08x is not SPIR-V's %#08x", words[0], Magic)
	}
	return parseWords(context.Background(), slices.Clone(words))
}

// Opcodes and enumerants this package reads.
const (
	opName                  = 5
	opMemberName            = 6
	opExtension             = 10
	opMemoryModel           = 14
	opEntryPoint            = 15
	opExecutionMode         = 16
	opCapability            = 17
	opTypeVoid              = 19
	opTypeBool              = 20
	opTypeInt               = 21
	opTypeFloat             = 22
	opTypeVector            = 23
	opTypeMatrix            = 24
	opTypeImage             = 25
	opTypeSampler           = 26
	opTypeSampledImage      = 27
	opTypeArray             = 28
	opTypeAccelStruct       = 5341
	opTypeRuntimeArray      = 29
	opTypeStruct            = 30
	opTypePointer           = 32
	opConstantTrue          = 41
	opConstantFalse         = 42
	opConstant              = 43
	opConstantComposite     = 44
	opSpecConstantTrue      = 48
	opSpecConstantFalse     = 49
	opSpecConstant          = 50
	opSpecConstantComposite = 51
	opFunction              = 54
	opVariable              = 59
	opDecorate              = 71
	opMemberDecorate        = 72
	opExecutionModeID       = 331

	decSpecID        = 1
	decBlock         = 2
	decBufferBlock   = 3
	decArrayStride   = 6
	decMatrixStride  = 7
	decBuiltIn       = 11
	decNonWritable   = 24
	decNonReadable   = 25
	decBinding       = 33
	decDescriptorSet = 34
	decOffset        = 35

	builtInWorkgroupSize = 25

	scUniformConstant = 0
	scUniform         = 2
	scWorkgroup       = 4
	scPushConstant    = 9
	scStorageBuffer   = 12

	modeLocalSize   = 17
	modeLocalSizeID = 38
)

var models = map[uint32]string{0: "Vertex", 1: "TessellationControl", 2: "TessellationEvaluation", 3: "Geometry",
	4: "Fragment", 5: "GLCompute", 6: "Kernel", 5267: "TaskNV", 5268: "MeshNV", 5364: "TaskEXT", 5365: "MeshEXT"}

var capabilityNames = map[uint32]string{0: "Matrix", 1: "Shader", 2: "Geometry", 3: "Tessellation", 4: "Addresses",
	5: "Linkage", 6: "Kernel", 7: "Vector16", 8: "Float16Buffer", 9: "Float16", 10: "Float64", 11: "Int64",
	12: "Int64Atomics", 13: "ImageBasic", 14: "ImageReadWrite", 15: "ImageMipmap", 17: "Pipes", 18: "Groups",
	19: "DeviceEnqueue", 20: "LiteralSampler", 21: "AtomicStorage", 22: "Int16", 39: "Int8",
	49: "StorageImageExtendedFormats", 55: "StorageImageWriteWithoutFormat", 56: "StorageImageReadWithoutFormat",
	61: "GroupNonUniform", 62: "GroupNonUniformVote", 63: "GroupNonUniformArithmetic", 64: "GroupNonUniformBallot",
	65: "GroupNonUniformShuffle", 66: "GroupNonUniformShuffleRelative", 67: "GroupNonUniformClustered",
	68: "GroupNonUniformQuad", 4433: "StorageBuffer16BitAccess", 4434: "UniformAndStorageBuffer16BitAccess",
	4435: "StoragePushConstant16", 4441: "VariablePointersStorageBuffer", 4442: "VariablePointers",
	4448: "StorageBuffer8BitAccess", 4449: "UniformAndStorageBuffer8BitAccess", 4450: "StoragePushConstant8",
	5301: "ShaderNonUniform", 5345: "VulkanMemoryModel", 5346: "VulkanMemoryModelDeviceScope",
	5347: "PhysicalStorageBufferAddresses", 6033: "CooperativeMatrixKHR"}

func capabilityName(c uint32) string {
	if n, ok := capabilityNames[c]; ok {
		return n
	}
	return "Capability" + strconv.FormatUint(uint64(c), 10)
}

// typ is a reflected type.
type typ struct {
	op      uint32
	width   uint32   // int and float bits
	signed  bool     // int
	elem    uint32   // vector, matrix, array, runtime array, pointer: the element or pointee type
	count   uint32   // vector components, matrix columns
	length  uint32   // array: the id of its length constant
	members []uint32 // struct
	storage uint32   // pointer
}

type decorations struct {
	set, binding          int64 // -1: absent
	block, bufferBlock    bool
	arrayStride           int64
	builtin, specID       int64
	nonWritable, nonRead  bool
	memberOffset          map[uint32]int64
	memberMatrixStride    map[uint32]int64
	memberNonWritable     map[uint32]bool
	memberNonReadable     map[uint32]bool
	memberCount           uint32
	defined, isSpecConst  bool
	constValue            uint64
	constType             uint32 // the constant's result type id
	compositeConstituents []uint32
}

type parser struct {
	words   []uint32
	bound   uint32
	types   map[uint32]*typ
	decs    map[uint32]*decorations
	names   map[uint32]string
	order   []uint32 // spec constant ids in module order
	entries []struct {
		model uint32
		fn    uint32
		name  string
		word  int
	}
	modes []struct {
		fn, mode uint32
		args     []uint32
		id       bool
	}
	vars []struct {
		id, ptr, storage uint32
	}
	functions map[uint32]bool
	sizes     map[uint32]int64 // memoised type sizes, -1 for none
	visiting  map[uint32]bool
}

func (p *parser) dec(id uint32) *decorations {
	d := p.decs[id]
	if d == nil {
		d = &decorations{set: -1, binding: -1, builtin: -1, specID: -1}
		p.decs[id] = d
	}
	return d
}

// str reads a literal string starting at ws[0]; it returns the string and
// the words it took.
func str(ws []uint32) (string, int, bool) {
	var b strings.Builder
	for i, w := range ws {
		for k := 0; k < 4; k++ {
			c := byte(w >> (8 * k))
			if c == 0 {
				return b.String(), i + 1, true
			}
			b.WriteByte(c)
		}
	}
	return "", 0, false
}

func parseWords(ctx context.Context, words []uint32) (*Program, error) {
	poll := irparse.NewPoll(ctx)
	ver := words[1]
	major, minor := int(ver>>16&0xff), int(ver>>8&0xff)
	if ver&0xff0000ff != 0 || major != 1 || minor > 6 {
		return nil, fail(1, "version word %#08x is not SPIR-V 1.0 to 1.6", ver)
	}
	p := &parser{words: words, bound: words[3], types: map[uint32]*typ{}, decs: map[uint32]*decorations{},
		names: map[uint32]string{}, functions: map[uint32]bool{},
		sizes: map[uint32]int64{}, visiting: map[uint32]bool{}}
	if p.bound == 0 {
		return nil, fail(3, "the id bound is 0")
	}
	if words[4] != 0 {
		return nil, fail(4, "the reserved schema word is %d, not 0", words[4])
	}
	prog := &Program{Words: words, Major: major, Minor: minor}
	prog.hash = sync.OnceValue(func() [32]byte { return hashWords(words) })
	for i := 5; i < len(words); {
		n := int(words[i] >> 16)
		op := words[i] & 0xffff
		if n == 0 {
			return nil, fail(i, "instruction (opcode %d) has a word count of 0", op)
		}
		if i+n > len(words) {
			return nil, fail(i, "instruction (opcode %d) of %d words runs past the end of the module (%d words)", op, n, len(words))
		}
		if err := p.instruction(prog, i, op, words[i+1:i+n]); err != nil {
			return nil, err
		}
		if err := poll.Tick(); err != nil {
			return nil, err
		}
		i += n
	}
	if err := poll.Check(); err != nil {
		return nil, err
	}
	return p.finish(prog)
}

// need checks that an instruction has at least k operand words.
func need(word int, op uint32, ops []uint32, k int) error {
	if len(ops) < k {
		return fail(word, "instruction (opcode %d) has %d operand words, needs at least %d", op, len(ops), k)
	}
	return nil
}

// result checks a result id against the bound and records it as defined.
func (p *parser) result(word int, id uint32) error {
	if id == 0 || id >= p.bound {
		return fail(word, "result id %d is outside the id bound %d", id, p.bound)
	}
	d := p.dec(id)
	if d.defined {
		return fail(word, "id %d is defined twice", id)
	}
	d.defined = true
	return nil
}

// instruction reads one instruction of the module at word w.
func (p *parser) instruction(prog *Program, w int, op uint32, ops []uint32) error {
	switch op {
	case opCapability:
		if err := need(w, op, ops, 1); err != nil {
			return err
		}
		prog.Capabilities = append(prog.Capabilities, capabilityName(ops[0]))
	case opExtension:
		s, _, ok := str(ops)
		if !ok {
			return fail(w, "OpExtension's name is not a terminated string")
		}
		prog.Extensions = append(prog.Extensions, s)
	case opName:
		if err := need(w, op, ops, 2); err != nil {
			return err
		}
		s, _, ok := str(ops[1:])
		if !ok {
			return fail(w, "OpName's name is not a terminated string")
		}
		p.names[ops[0]] = s
	case opEntryPoint:
		if err := need(w, op, ops, 3); err != nil {
			return err
		}
		s, _, ok := str(ops[2:])
		if !ok {
			return fail(w, "OpEntryPoint's name is not a terminated string")
		}
		p.entries = append(p.entries, struct {
			model uint32
			fn    uint32
			name  string
			word  int
		}{ops[0], ops[1], s, w})
	case opExecutionMode, opExecutionModeID:
		if err := need(w, op, ops, 2); err != nil {
			return err
		}
		p.modes = append(p.modes, struct {
			fn, mode uint32
			args     []uint32
			id       bool
		}{ops[0], ops[1], ops[2:], op == opExecutionModeID})
	case opDecorate:
		if err := need(w, op, ops, 2); err != nil {
			return err
		}
		if ops[0] >= p.bound {
			return fail(w, "decoration of id %d, outside the id bound %d", ops[0], p.bound)
		}
		d := p.dec(ops[0])
		lit := func() int64 {
			if len(ops) > 2 {
				return int64(ops[2])
			}
			return 0
		}
		switch ops[1] {
		case decDescriptorSet:
			d.set = lit()
		case decBinding:
			d.binding = lit()
		case decBlock:
			d.block = true
		case decBufferBlock:
			d.bufferBlock = true
		case decArrayStride:
			d.arrayStride = lit()
		case decBuiltIn:
			d.builtin = lit()
		case decSpecID:
			d.specID = lit()
		case decNonWritable:
			d.nonWritable = true
		case decNonReadable:
			d.nonRead = true
		}
	case opMemberDecorate:
		if err := need(w, op, ops, 3); err != nil {
			return err
		}
		if ops[0] >= p.bound {
			return fail(w, "member decoration of id %d, outside the id bound %d", ops[0], p.bound)
		}
		d := p.dec(ops[0])
		m := ops[1]
		lit := int64(0)
		if len(ops) > 3 {
			lit = int64(ops[3])
		}
		switch ops[2] {
		case decOffset:
			if d.memberOffset == nil {
				d.memberOffset = map[uint32]int64{}
			}
			d.memberOffset[m] = lit
		case decMatrixStride:
			if d.memberMatrixStride == nil {
				d.memberMatrixStride = map[uint32]int64{}
			}
			d.memberMatrixStride[m] = lit
		case decNonWritable:
			if d.memberNonWritable == nil {
				d.memberNonWritable = map[uint32]bool{}
			}
			d.memberNonWritable[m] = true
		case decNonReadable:
			if d.memberNonReadable == nil {
				d.memberNonReadable = map[uint32]bool{}
			}
			d.memberNonReadable[m] = true
		}
	case opTypeVoid, opTypeBool:
		if err := need(w, op, ops, 1); err != nil {
			return err
		}
		if err := p.result(w, ops[0]); err != nil {
			return err
		}
		p.types[ops[0]] = &typ{op: op}
	case opTypeInt, opTypeFloat:
		if err := need(w, op, ops, 2); err != nil {
			return err
		}
		if err := p.result(w, ops[0]); err != nil {
			return err
		}
		p.types[ops[0]] = &typ{op: op, width: ops[1], signed: op == opTypeInt && len(ops) > 2 && ops[2] == 1}
	case opTypeVector, opTypeMatrix:
		if err := need(w, op, ops, 3); err != nil {
			return err
		}
		if err := p.result(w, ops[0]); err != nil {
			return err
		}
		p.types[ops[0]] = &typ{op: op, elem: ops[1], count: ops[2]}
	case opTypeImage, opTypeSampler, opTypeSampledImage, opTypeAccelStruct:
		if err := need(w, op, ops, 1); err != nil {
			return err
		}
		if err := p.result(w, ops[0]); err != nil {
			return err
		}
		p.types[ops[0]] = &typ{op: op}
	case opTypeArray:
		if err := need(w, op, ops, 3); err != nil {
			return err
		}
		if err := p.result(w, ops[0]); err != nil {
			return err
		}
		p.types[ops[0]] = &typ{op: op, elem: ops[1], length: ops[2]}
	case opTypeRuntimeArray:
		if err := need(w, op, ops, 2); err != nil {
			return err
		}
		if err := p.result(w, ops[0]); err != nil {
			return err
		}
		p.types[ops[0]] = &typ{op: op, elem: ops[1]}
	case opTypeStruct:
		if err := need(w, op, ops, 1); err != nil {
			return err
		}
		if err := p.result(w, ops[0]); err != nil {
			return err
		}
		p.types[ops[0]] = &typ{op: op, members: slices.Clone(ops[1:])}
		p.dec(ops[0]).memberCount = uint32(len(ops) - 1)
	case opTypePointer:
		if err := need(w, op, ops, 3); err != nil {
			return err
		}
		if err := p.result(w, ops[0]); err != nil {
			return err
		}
		p.types[ops[0]] = &typ{op: op, storage: ops[1], elem: ops[2]}
	case opConstant, opSpecConstant:
		if err := need(w, op, ops, 3); err != nil {
			return err
		}
		if err := p.result(w, ops[1]); err != nil {
			return err
		}
		d := p.dec(ops[1])
		d.constValue = uint64(ops[2])
		d.constType = ops[0]
		if len(ops) > 3 {
			d.constValue |= uint64(ops[3]) << 32
		}
		if op == opSpecConstant {
			d.isSpecConst = true
			p.order = append(p.order, ops[1])
		}
	case opConstantTrue, opConstantFalse, opSpecConstantTrue, opSpecConstantFalse:
		if err := need(w, op, ops, 2); err != nil {
			return err
		}
		if err := p.result(w, ops[1]); err != nil {
			return err
		}
		d := p.dec(ops[1])
		d.constType = ops[0]
		if op == opConstantTrue || op == opSpecConstantTrue {
			d.constValue = 1
		}
		if op == opSpecConstantTrue || op == opSpecConstantFalse {
			d.isSpecConst = true
			p.order = append(p.order, ops[1])
		}
	case opConstantComposite, opSpecConstantComposite:
		if err := need(w, op, ops, 2); err != nil {
			return err
		}
		if err := p.result(w, ops[1]); err != nil {
			return err
		}
		p.dec(ops[1]).compositeConstituents = slices.Clone(ops[2:])
	case opFunction:
		if err := need(w, op, ops, 4); err != nil {
			return err
		}
		if err := p.result(w, ops[1]); err != nil {
			return err
		}
		p.functions[ops[1]] = true
	case opVariable:
		if err := need(w, op, ops, 3); err != nil {
			return err
		}
		if err := p.result(w, ops[1]); err != nil {
			return err
		}
		p.vars = append(p.vars, struct{ id, ptr, storage uint32 }{ops[1], ops[0], ops[2]})
	}
	return nil
}
