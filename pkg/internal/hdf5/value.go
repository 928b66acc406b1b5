package hdf5

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"strings"
)

// Class is the kind of a dataset's or attribute's elements.
type Class uint8

// The element classes. Enumerations (h5py's booleans among them) read as
// their integer base type.
const (
	Integer Class = iota + 1
	Float
	String // fixed-length or variable-length
)

func (c Class) String() string {
	switch c {
	case Integer:
		return "integer"
	case Float:
		return "float"
	case String:
		return "string"
	}
	return fmt.Sprintf("class(%d)", uint8(c))
}

// Value is the contents of a dataset or an attribute: an n-dimensional
// array of one class, in row-major (C) order.
type Value struct {
	Class  Class
	Size   int   // bytes per element in the file (0 for variable-length strings)
	Signed bool  // integers: two's complement
	Shape  []int // empty for a scalar

	floats []float64
	ints   []int64
	uints  []uint64
	strs   []string
}

// Len is the number of elements (1 for a scalar).
func (v *Value) Len() int {
	switch {
	case v.floats != nil:
		return len(v.floats)
	case v.ints != nil:
		return len(v.ints)
	case v.uints != nil:
		return len(v.uints)
	}
	return len(v.strs)
}

// Float64s returns the elements of a numeric value as float64 (integers
// beyond 2^53 round).
func (v *Value) Float64s() ([]float64, error) {
	switch v.Class {
	case Float:
		return v.floats, nil
	case Integer:
		out := make([]float64, v.Len())
		for i := range out {
			if v.Signed {
				out[i] = float64(v.ints[i])
			} else {
				out[i] = float64(v.uints[i])
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("hdf5: a %s value is not numeric", v.Class)
}

// Int64s returns the elements of an integer value.
func (v *Value) Int64s() ([]int64, error) {
	if v.Class != Integer {
		return nil, fmt.Errorf("hdf5: a %s value is not integer", v.Class)
	}
	if v.Signed {
		return v.ints, nil
	}
	out := make([]int64, len(v.uints))
	for i, u := range v.uints {
		if u > math.MaxInt64 {
			return nil, fmt.Errorf("hdf5: element %d (%d) overflows int64", i, u)
		}
		out[i] = int64(u)
	}
	return out, nil
}

// Strings returns the elements of a string value.
func (v *Value) Strings() ([]string, error) {
	if v.Class != String {
		return nil, fmt.Errorf("hdf5: a %s value is not a string", v.Class)
	}
	return v.strs, nil
}

// String renders the value briefly, for messages and tests.
func (v *Value) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s%v", v.Class, v.Shape)
	switch {
	case v.floats != nil:
		fmt.Fprint(&b, v.floats)
	case v.ints != nil:
		fmt.Fprint(&b, v.ints)
	case v.uints != nil:
		fmt.Fprint(&b, v.uints)
	default:
		fmt.Fprintf(&b, "%q", v.strs)
	}
	return b.String()
}

// dtype is a parsed datatype message.
type dtype struct {
	class     Class
	size      int
	bigEndian bool
	signed    bool
	vlen      bool // a variable-length string: elements are global heap references
	pad       uint8
}

func (f *file) datatype(c *cursor, depth int) dtype {
	at := c.off()
	b0 := c.u8()
	class, bf := b0&0x0f, c.uint(3)
	size := int(c.u32())
	var t dtype
	if c.err != nil {
		return t
	}
	switch class {
	case 0: // fixed-point
		t = dtype{class: Integer, size: size, bigEndian: bf&1 != 0, signed: bf&8 != 0}
		off, prec := c.u16(), c.u16()
		if c.err == nil && (off != 0 || int(prec) != 8*size || (size != 1 && size != 2 && size != 4 && size != 8)) {
			c.err = unsupported(at, "%d-byte integers with %d bits at bit %d", size, prec, off)
		}
	case 1: // floating-point
		t = dtype{class: Float, size: size, bigEndian: bf&1 != 0}
		c.skip(4) // bit offset, precision
		expLoc, expSize, mantLoc, mantSize := c.u8(), c.u8(), c.u8(), c.u8()
		c.skip(4) // exponent bias
		ieee := map[int][4]uint8{2: {10, 5, 0, 10}, 4: {23, 8, 0, 23}, 8: {52, 11, 0, 52}}
		if c.err == nil && (bf&0x40 != 0 || ieee[size] != [4]uint8{expLoc, expSize, mantLoc, mantSize}) {
			c.err = unsupported(at, "%d-byte floats that are not IEEE 754", size)
		}
	case 3: // string
		t = dtype{class: String, size: size, pad: uint8(bf & 0x0f)}
	case 8: // enumeration: read as its base type
		if depth > 2 {
			c.fail("nested enumeration types")
			return t
		}
		t = f.datatype(c, depth+1)
		if c.err == nil && t.class != Integer {
			c.err = unsupported(at, "enumerations over %s", t.class)
		}
	case 9: // variable-length
		if bf&0x0f != 1 {
			c.err = unsupported(at, "variable-length sequences")
			return t
		}
		t = dtype{class: String, size: size, vlen: true}
		if c.err == nil && size != 4+f.osize+4 {
			c.err = errorf(at, "variable-length string elements of %d bytes, want %d", size, 4+f.osize+4)
		}
	default:
		names := map[uint8]string{2: "time", 4: "bitfield", 5: "opaque", 6: "compound", 7: "reference", 10: "array", 11: "complex"}
		name := names[class]
		if name == "" {
			name = fmt.Sprintf("class %d", class)
		}
		c.err = unsupported(at, "%s datatypes", name)
	}
	if c.err == nil && (size <= 0 || size > 1<<16) {
		c.err = errorf(at, "datatype of %d bytes", size)
	}
	return t
}

// dataspace reads a dataspace message: the shape and the element count.
// A null dataspace (no elements) has count 0.
func dataspace(c *cursor) (shape []int, count uint64) {
	shape, count, _ = dataspaceMax(c)
	return shape, count
}

// dataspaceMax is dataspace that also returns the maximum dimensions
// (nil when the message has none).
func dataspaceMax(c *cursor) (shape []int, count uint64, maxShape []uint64) {
	version, rank, flags := c.u8(), int(c.u8()), c.u8()
	null := false
	switch version {
	case 1:
		c.skip(5)
	case 2:
		null = c.u8() == 2
	default:
		if c.err == nil {
			c.err = unsupported(c.at, "dataspace version %d", version)
		}
		return nil, 0, nil
	}
	if rank > 32 {
		c.fail("dataspace of rank %d", rank)
		return nil, 0, nil
	}
	shape = make([]int, rank)
	count = 1
	for i := range shape {
		d := c.length()
		if d > 1<<40 || (count != 0 && d > (1<<62)/count) {
			c.fail("dataspace dimension %d is too large", d)
			return nil, 0, nil
		}
		shape[i] = int(d)
		count *= d
	}
	if flags&1 != 0 {
		maxShape = make([]uint64, rank)
		for i := range maxShape {
			maxShape[i] = c.length()
		}
	}
	if null {
		return nil, 0, nil
	}
	return shape, count, maxShape
}

// decode turns n raw elements of type t into a Value.
func (f *file) decode(t dtype, shape []int, raw []byte, n int, at int64) (*Value, error) {
	if err := f.alloc(uint64(n)*8, at); err != nil {
		return nil, err
	}
	v := &Value{Class: t.class, Size: t.size, Signed: t.signed, Shape: shape}
	if t.vlen {
		v.Size = 0
	}
	order := binary.ByteOrder(binary.LittleEndian)
	if t.bigEndian {
		order = binary.BigEndian
	}
	elem := func(i int) []byte { return raw[i*t.size : (i+1)*t.size] }
	switch {
	case t.class == Float:
		v.floats = make([]float64, n)
		for i := range v.floats {
			switch e := elem(i); t.size {
			case 2:
				v.floats[i] = half(order.Uint16(e))
			case 4:
				v.floats[i] = float64(math.Float32frombits(order.Uint32(e)))
			default:
				v.floats[i] = math.Float64frombits(order.Uint64(e))
			}
		}
	case t.class == Integer && t.signed:
		v.ints = make([]int64, n)
		for i := range v.ints {
			u, s := uintN(order, elem(i)), uint(64-8*t.size)
			v.ints[i] = int64(u<<s) >> s // sign-extend
		}
	case t.class == Integer:
		v.uints = make([]uint64, n)
		for i := range v.uints {
			v.uints[i] = uintN(order, elem(i))
		}
	case t.vlen:
		v.strs = make([]string, n)
		for i := range v.strs {
			c := &cursor{b: elem(i), at: at, osize: f.osize, lsize: f.lsize}
			length, coll, index := c.u32(), c.addr(), c.u32()
			if c.err != nil {
				return nil, c.err
			}
			if length == 0 {
				continue
			}
			obj, err := f.globalObject(coll, index, at)
			if err != nil {
				return nil, err
			}
			if uint64(length) > uint64(len(obj)) {
				return nil, errorf(at, "variable-length string of %d bytes in a heap object of %d", length, len(obj))
			}
			v.strs[i] = string(obj[:length])
		}
	default:
		v.strs = make([]string, n)
		for i := range v.strs {
			e := elem(i)
			switch t.pad {
			case 0: // NUL-terminated
				if j := bytes.IndexByte(e, 0); j >= 0 {
					e = e[:j]
				}
			case 1: // NUL-padded
				e = bytes.TrimRight(e, "\x00")
			case 2: // space-padded
				e = bytes.TrimRight(e, " ")
			}
			v.strs[i] = string(e)
		}
	}
	return v, nil
}

func uintN(order binary.ByteOrder, e []byte) uint64 {
	switch len(e) {
	case 1:
		return uint64(e[0])
	case 2:
		return uint64(order.Uint16(e))
	case 4:
		return uint64(order.Uint32(e))
	}
	return order.Uint64(e)
}

// half converts an IEEE 754 binary16 value.
func half(h uint16) float64 {
	sign, exp, mant := h>>15, int(h>>10&0x1f), float64(h&0x3ff)
	var v float64
	switch exp {
	case 0:
		v = math.Ldexp(mant, -24)
	case 0x1f:
		v = math.Inf(1)
		if mant != 0 {
			v = math.NaN()
		}
	default:
		v = math.Ldexp(1024+mant, exp-25)
	}
	if sign != 0 {
		v = -v
	}
	return v
}

// globalObject returns object index of the global heap collection at addr.
func (f *file) globalObject(addr uint64, index uint32, from int64) ([]byte, error) {
	objs, ok := f.gheaps[addr]
	if !ok {
		c, err := f.seek(addr, -1, from, "global heap collection")
		if err != nil {
			return nil, err
		}
		c.signature("GCOL")
		c.skip(4) // version, reserved
		size := c.length()
		if c.err != nil {
			return nil, c.err
		}
		if size > uint64(len(c.b)) || size < uint64(8+c.lsize) {
			return nil, errorf(c.at, "global heap collection of %d bytes (%d left in the file)", size, len(c.b))
		}
		c.b = c.b[:size]
		objs = map[uint16][]byte{}
		for c.left() >= 8+c.lsize {
			id := c.u16()
			c.skip(2 + 4) // reference count, reserved
			n := c.length()
			if id == 0 { // free space: the rest of the collection
				break
			}
			if n > uint64(c.left()) {
				return nil, errorf(c.off(), "global heap object of %d bytes in a collection with %d left", n, c.left())
			}
			objs[id] = c.take(int(n))
			c.skip(int((8 - n%8) % 8))
			c.err = nil // the padding of the last object may be cut short
		}
		if f.gheaps == nil {
			f.gheaps = map[uint64]map[uint16][]byte{}
		}
		f.gheaps[addr] = objs
	}
	obj, ok := objs[uint16(index)]
	if !ok || index > math.MaxUint16 {
		return nil, errorf(from, "global heap collection at address %d has no object %d", addr, index)
	}
	return obj, nil
}

// attributes decodes the attributes kept in an object header. Attributes
// of types this reader does not support are left out; dense attribute
// storage (many attributes in new-style files) is not read.
func (f *file) attributes(h *header) (map[string]*Value, error) {
	var attrs map[string]*Value
	for i := range h.msgs {
		m := &h.msgs[i]
		if m.typ != msgAttribute {
			continue
		}
		name, v, err := f.attribute(m)
		if fe, ok := err.(*FormatError); ok && fe.Unsupported {
			continue
		}
		if err != nil {
			return nil, err
		}
		if attrs == nil {
			attrs = map[string]*Value{}
		}
		attrs[name] = v
	}
	return attrs, nil
}

func (f *file) attribute(m *message) (string, *Value, error) {
	c := m.cursor(f)
	version := c.u8()
	flags := c.u8() // reserved in version 1
	nameSize, typeSize, spaceSize := int(c.u16()), int(c.u16()), int(c.u16())
	pad := func(n int) int { return n }
	switch version {
	case 1:
		pad = func(n int) int { return (n + 7) &^ 7 }
	case 2:
	case 3:
		c.skip(1) // name character set
	default:
		if c.err == nil {
			return "", nil, unsupported(m.at, "attribute message version %d", version)
		}
	}
	if m.shared() || (version >= 2 && flags&3 != 0) {
		return "", nil, unsupported(m.at, "shared attribute datatypes")
	}
	name, _, _ := bytes.Cut(c.take(pad(nameSize)), []byte{0})
	tc := &cursor{b: c.take(pad(typeSize)), at: c.off(), osize: f.osize, lsize: f.lsize}
	sc := &cursor{b: c.take(pad(spaceSize)), at: c.off(), osize: f.osize, lsize: f.lsize}
	if c.err != nil {
		return "", nil, c.err
	}
	t := f.datatype(tc, 0)
	if tc.err != nil {
		return "", nil, tc.err
	}
	shape, n := dataspace(sc)
	if sc.err != nil {
		return "", nil, sc.err
	}
	if n > uint64(c.left())/uint64(t.size) {
		return "", nil, errorf(c.off(), "attribute %q needs %d elements of %d bytes, %d bytes left", name, n, t.size, c.left())
	}
	at := c.off()
	v, err := f.decode(t, shape, c.take(int(n)*t.size), int(n), at)
	return string(name), v, err
}
