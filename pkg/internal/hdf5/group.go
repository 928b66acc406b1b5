package hdf5

import (
	"bytes"
	"slices"
	"strings"
)

// link is a hard link from a group to an object.
type link struct {
	name string
	addr uint64
	at   int64 // where the link was read, for errors
}

// maxBTreeDepth bounds the levels of B-trees (version 1 and 2) and of
// fractal heap indirect blocks; real files need a handful.
const maxBTreeDepth = 32

// btree1Node reads the header of a version-1 B-tree node of the given kind
// ("group", type 0, or "chunk", type 1) at addr, reached from the byte at
// from and depth levels down, refusing cycles (through visited) and trees
// deeper than maxBTreeDepth. It returns a cursor at the node's first key,
// the node's level and its number of entries.
func (f *file) btree1Node(addr uint64, from int64, depth int, visited map[uint64]bool, kind string, want uint8) (*cursor, int, int, error) {
	if depth > maxBTreeDepth || visited[addr] {
		return nil, 0, 0, errorf(from, "%s B-tree is cyclic or deeper than %d levels", kind, maxBTreeDepth)
	}
	visited[addr] = true
	c, err := f.seek(addr, -1, from, kind+" B-tree node")
	if err != nil {
		return nil, 0, 0, err
	}
	c.signature("TREE")
	typ, level, n := c.u8(), c.u8(), int(c.u16())
	c.addr() // left sibling
	c.addr() // right sibling
	if c.err == nil && typ != want {
		return nil, 0, 0, errorf(c.at+4, "%s B-tree node has type %d, want %d", kind, typ, want)
	}
	return c, int(level), n, nil
}

// links lists a group's hard links, sorted by name. Soft and external links
// are skipped: they name paths, not objects, and NIR files do not use them.
func (f *file) links(h *header) ([]link, error) {
	var links []link
	for i := range h.msgs {
		m := &h.msgs[i]
		switch m.typ {
		case msgSymbolTable:
			c := m.cursor(f)
			btree, heap := c.addr(), c.addr()
			if c.err != nil {
				return nil, c.err
			}
			l, err := f.symbolTable(btree, heap, m.at)
			if err != nil {
				return nil, err
			}
			links = append(links, l...)
		case msgLink:
			l, ok, err := f.linkMessage(m.data, m.at)
			if err != nil {
				return nil, err
			}
			if ok {
				links = append(links, l)
			}
		case msgLinkInfo:
			l, err := f.denseLinks(m)
			if err != nil {
				return nil, err
			}
			links = append(links, l...)
		}
	}
	slices.SortFunc(links, func(a, b link) int { return strings.Compare(a.name, b.name) })
	for i := 1; i < len(links); i++ {
		if links[i].name == links[i-1].name {
			return nil, errorf(links[i].at, "group %#x holds two links named %q", h.at, links[i].name)
		}
	}
	return links, nil
}

// symbolTable walks an old-style group: a version-1 B-tree of symbol-table
// nodes whose entries name objects through a local heap.
func (f *file) symbolTable(btree, heapAddr uint64, from int64) ([]link, error) {
	hc, err := f.seek(heapAddr, -1, from, "local heap")
	if err != nil {
		return nil, err
	}
	hc.signature("HEAP")
	hc.skip(4) // version, reserved
	size := hc.length()
	hc.length() // free list head
	dataAddr := hc.addr()
	if hc.err != nil {
		return nil, hc.err
	}
	names, err := f.seek(dataAddr, int64(min(size, uint64(len(f.data)))), hc.at, "local heap data")
	if err != nil {
		return nil, err
	}
	var links []link
	visited := map[uint64]bool{}
	var walk func(addr uint64, from int64, depth int) error
	walk = func(addr uint64, from int64, depth int) error {
		c, level, n, err := f.btree1Node(addr, from, depth, visited, "group", 0)
		if err != nil {
			return err
		}
		children := make([]uint64, 0, min(n, 1024))
		offs := make([]int64, 0, min(n, 1024))
		c.length() // key 0
		for range n {
			offs = append(offs, c.off())
			children = append(children, c.addr())
			c.length() // key: heap offset of the largest name in the child
			if c.err != nil {
				return c.err
			}
		}
		for i, child := range children {
			if level > 0 {
				if err := walk(child, offs[i], depth+1); err != nil {
					return err
				}
				continue
			}
			if err := f.symbolNode(child, offs[i], names, &links); err != nil {
				return err
			}
		}
		return nil
	}
	return links, walk(btree, from, 0)
}

// symbolNode reads one symbol-table node (SNOD).
func (f *file) symbolNode(addr uint64, from int64, names *cursor, links *[]link) error {
	c, err := f.seek(addr, -1, from, "symbol-table node")
	if err != nil {
		return err
	}
	c.signature("SNOD")
	c.skip(2) // version, reserved
	n := int(c.u16())
	for range n {
		at := c.off()
		nameOff := c.length()
		obj := c.addr()
		c.skip(4 + 4 + 16) // cache type, reserved, scratch pad
		if c.err != nil {
			return c.err
		}
		if nameOff >= uint64(len(names.b)) {
			return errorf(at, "symbol name offset %d lies outside the local heap (%d bytes)", nameOff, len(names.b))
		}
		name, _, ok := bytes.Cut(names.b[nameOff:], []byte{0})
		if !ok {
			return errorf(names.at+int64(nameOff), "symbol name is not NUL-terminated")
		}
		*links = append(*links, link{name: string(name), addr: obj, at: at})
		if len(*links) > f.lim.MaxObjects {
			return errorf(at, "a group holds more than %d links", f.lim.MaxObjects)
		}
	}
	return nil
}

// linkMessage decodes a link message; ok is false for soft and external
// links.
func (f *file) linkMessage(b []byte, at int64) (l link, ok bool, err error) {
	c := &cursor{b: b, at: at, osize: f.osize, lsize: f.lsize}
	if v := c.u8(); c.err == nil && v != 1 {
		return l, false, unsupported(at, "link message version %d", v)
	}
	flags := c.u8()
	typ := uint8(0)
	if flags&0x08 != 0 {
		typ = c.u8()
	}
	if flags&0x04 != 0 {
		c.skip(8) // creation order
	}
	if flags&0x10 != 0 {
		c.skip(1) // name character set
	}
	n := c.uint(1 << (flags & 3))
	if c.err == nil && (n == 0 || n > uint64(c.left())) {
		return l, false, errorf(c.off(), "link name of %d bytes in a message of %d", n, len(b))
	}
	name := string(c.take(int(n)))
	switch typ {
	case 0:
		l = link{name: name, addr: c.addr(), at: at}
		ok = true
	case 1, 64: // soft, external
	default:
		return l, false, unsupported(at, "link type %d", typ)
	}
	if c.err != nil {
		return l, false, c.err
	}
	if ok && (name == "." || strings.Contains(name, "/")) {
		return l, false, errorf(at, "invalid link name %q", name)
	}
	return l, ok, nil
}

// denseLinks reads the links a new-style group keeps in a fractal heap,
// indexed by a version-2 B-tree of name hashes.
func (f *file) denseLinks(m *message) ([]link, error) {
	c := m.cursor(f)
	if v := c.u8(); c.err == nil && v != 0 {
		return nil, unsupported(m.at, "link info message version %d", v)
	}
	flags := c.u8()
	if flags&1 != 0 {
		c.skip(8) // maximum creation index
	}
	heapAddr, nameIndex := c.addr(), c.addr()
	if c.err != nil {
		return nil, c.err
	}
	if heapAddr == undef {
		return nil, nil // compact storage: the links are link messages
	}
	heap, err := f.fractalHeap(heapAddr, m.at)
	if err != nil {
		return nil, err
	}
	var links []link
	err = f.btree2(nameIndex, m.at, 5, func(rec []byte, at int64) error {
		obj, err := heap.object(rec[4:], at) // after the 4-byte name hash
		if err != nil {
			return err
		}
		l, ok, err := f.linkMessage(obj, at)
		if ok {
			links = append(links, l)
		}
		return err
	})
	return links, err
}
