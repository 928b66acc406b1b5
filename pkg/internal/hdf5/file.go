package hdf5

import (
	"slices"
	"strings"
)

// Limits bound the work and memory a file may cost, so that a malformed or
// hostile file fails with an error instead of exhausting the process.
type Limits struct {
	MaxBytes   int64 // total bytes of dataset and attribute values
	MaxObjects int   // groups and datasets in the tree
	MaxDepth   int   // nesting of groups
}

// DefaultLimits suit files up to a few hundred MiB of data.
var DefaultLimits = Limits{MaxBytes: 1 << 30, MaxObjects: 1 << 20, MaxDepth: 64}

// Object is a group or a dataset: a group has Members (possibly none) and
// a nil Value, a dataset has a Value.
type Object struct {
	Name    string            // the link name; "/" for the root
	Path    string            // the absolute path, e.g. "/node/edges"
	Offset  int64             // byte offset of the object header
	Attrs   map[string]*Value // attributes kept in the object header
	Members []*Object         // a group's members, sorted by name
	Value   *Value            // a dataset's contents
}

// IsGroup reports whether o is a group.
func (o *Object) IsGroup() bool { return o.Value == nil }

// Member returns the member of group o with the given name, or nil.
func (o *Object) Member(name string) *Object {
	i, ok := slices.BinarySearchFunc(o.Members, name, func(m *Object, n string) int { return strings.Compare(m.Name, n) })
	if !ok {
		return nil
	}
	return o.Members[i]
}

// Lookup returns the object at a slash-separated path relative to o
// ("node/edges"), or nil.
func (o *Object) Lookup(path string) *Object {
	for _, part := range strings.Split(strings.Trim(path, "/"), "/") {
		if part == "" {
			continue
		}
		if o = o.Member(part); o == nil {
			return nil
		}
	}
	return o
}

// Signature is the 8 bytes that begin an HDF5 superblock.
const Signature = "\x89HDF\r\n\x1a\n"

// IsHDF5 reports whether data starts with the HDF5 signature (at offset 0;
// files with a user block have it at 512, 1024, ...: Decode finds those).
func IsHDF5(data []byte) bool { return strings.HasPrefix(string(data[:min(len(data), 8)]), Signature) }

// Decode reads the whole tree of an HDF5 file held in memory, with
// DefaultLimits.
func Decode(data []byte) (*Object, error) { return DecodeLimits(data, DefaultLimits) }

// DecodeLimits reads the whole tree of an HDF5 file held in memory: every
// group, every dataset's values and the attributes kept in object headers.
// Every error is a *FormatError.
func DecodeLimits(data []byte, lim Limits) (*Object, error) {
	f := &file{data: data, lim: lim, budget: lim.MaxBytes}
	root, err := f.superblock()
	if err != nil {
		return nil, err
	}
	o, err := f.object("/", "/", root, 0, nil)
	if err != nil {
		return nil, err
	}
	return o, nil
}

// file is the state of one Decode.
type file struct {
	data         []byte
	base         uint64 // absolute offset that addresses are relative to
	osize, lsize int
	lim          Limits
	budget       int64
	work         int64 // bytes of chunks decoded so far
	objects      int
	gheaps       map[uint64]map[uint16][]byte // parsed global heap collections
}

// seek returns a cursor at a file address, reading at most n bytes (to the
// end of the file when n < 0). from is the offset of the field that held
// the address, for the error.
func (f *file) seek(addr uint64, n int64, from int64, what string) (*cursor, error) {
	if addr == undef {
		return nil, errorf(from, "%s has an undefined address", what)
	}
	abs := addr + f.base
	if abs < addr || abs >= uint64(len(f.data)) {
		return nil, errorf(from, "%s at address %d lies outside the file (%d bytes)", what, addr, len(f.data))
	}
	end := uint64(len(f.data))
	if n >= 0 {
		if uint64(n) > end-abs {
			return nil, errorf(int64(abs), "%s of %d bytes runs past the end of the file (%d bytes)", what, n, len(f.data))
		}
		end = abs + uint64(n)
	}
	return &cursor{b: f.data[abs:end], at: int64(abs), osize: f.osize, lsize: f.lsize}, nil
}

// alloc charges n bytes of values against the budget.
func (f *file) alloc(n uint64, at int64) error {
	if n > uint64(f.budget) {
		return errorf(at, "values of %d bytes exceed the limit of %d bytes", n, f.lim.MaxBytes)
	}
	f.budget -= int64(n)
	return nil
}

// superblock finds and reads the superblock (at 0, 512, 1024, ...) and
// returns the root group's object header address.
func (f *file) superblock() (uint64, error) {
	at := -1
	for off := 0; off+8 <= len(f.data); off = max(512, 2*off) {
		if string(f.data[off:off+8]) == Signature {
			at = off
			break
		}
	}
	if at < 0 {
		return 0, errorf(0, "not an HDF5 file: no superblock signature")
	}
	c := &cursor{b: f.data[at:], at: int64(at), osize: 8, lsize: 8}
	c.skip(8)
	version := c.u8()
	var root uint64
	switch version {
	case 0, 1:
		c.skip(4) // free-space, root symbol-table entry and shared-header versions, reserved
		f.osize, f.lsize = int(c.u8()), int(c.u8())
		c.skip(1 + 2 + 2 + 4) // reserved, group leaf and internal node K, consistency flags
		if version == 1 {
			c.skip(4) // indexed-storage K, reserved
		}
		if c.err != nil {
			return 0, c.err
		}
		if !validSize(f.osize) || !validSize(f.lsize) {
			return 0, errorf(int64(at)+13, "invalid sizes of offsets (%d) and lengths (%d)", f.osize, f.lsize)
		}
		c.osize, c.lsize = f.osize, f.lsize
		f.base = c.addr()
		c.addr() // free-space info
		c.addr() // end of file
		c.addr() // driver info
		c.addr() // root symbol-table entry: link name offset
		root = c.addr()
	case 2, 3:
		f.osize, f.lsize = int(c.u8()), int(c.u8())
		if c.err != nil {
			return 0, c.err
		}
		if !validSize(f.osize) || !validSize(f.lsize) {
			return 0, errorf(int64(at)+9, "invalid sizes of offsets (%d) and lengths (%d)", f.osize, f.lsize)
		}
		c.osize, c.lsize = f.osize, f.lsize
		c.skip(1) // flags
		f.base = c.addr()
		c.addr() // superblock extension
		c.addr() // end of file
		root = c.addr()
		c.checksum(0)
	default:
		return 0, unsupported(int64(at)+8, "superblock version %d", version)
	}
	if c.err != nil {
		return 0, c.err
	}
	if f.base == undef || f.base > uint64(len(f.data)) {
		return 0, errorf(int64(at), "base address %d lies outside the file", f.base)
	}
	return root, nil
}

func validSize(n int) bool { return n == 2 || n == 4 || n == 8 }

// object reads the object at addr and, for a group, its members. stack
// holds the addresses of the groups above, to refuse cycles of hard links.
func (f *file) object(name, path string, addr uint64, from int64, stack []uint64) (*Object, error) {
	if f.objects++; f.objects > f.lim.MaxObjects {
		return nil, errorf(from, "more than %d objects", f.lim.MaxObjects)
	}
	if len(stack) >= f.lim.MaxDepth {
		return nil, errorf(from, "groups nested deeper than %d", f.lim.MaxDepth)
	}
	if slices.Contains(stack, addr) {
		return nil, errorf(from, "%s links back to a group that contains it (a cycle)", path)
	}
	h, err := f.header(addr, from)
	if err != nil {
		return nil, err
	}
	o := &Object{Name: name, Path: path, Offset: h.at}
	if o.Attrs, err = f.attributes(h); err != nil {
		return nil, err
	}
	if h.find(msgLayout) != nil {
		o.Value, err = f.dataset(h)
		return o, err
	}
	if h.find(msgSymbolTable) == nil && h.find(msgLinkInfo) == nil && h.find(msgLink) == nil {
		return nil, unsupported(h.at, "object %s is neither a group nor a dataset (a committed datatype?)", path)
	}
	links, err := f.links(h)
	if err != nil {
		return nil, err
	}
	stack = append(stack, addr)
	o.Members = make([]*Object, 0, len(links))
	for _, l := range links {
		p := path + "/" + l.name
		if path == "/" {
			p = "/" + l.name
		}
		m, err := f.object(l.name, p, l.addr, l.at, stack)
		if err != nil {
			return nil, err
		}
		o.Members = append(o.Members, m)
	}
	return o, nil
}
