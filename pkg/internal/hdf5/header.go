package hdf5

// Header message types (HDF5 file format specification, section IV.A.2).
const (
	msgDataspace    = 0x0001
	msgLinkInfo     = 0x0002
	msgDatatype     = 0x0003
	msgFillOld      = 0x0004
	msgFill         = 0x0005
	msgLink         = 0x0006
	msgLayout       = 0x0008
	msgFilters      = 0x000B
	msgAttribute    = 0x000C
	msgContinuation = 0x0010
	msgSymbolTable  = 0x0011
)

// maxMessages bounds the messages of one object header, continuation
// blocks included.
const maxMessages = 1 << 16

type message struct {
	typ   uint16
	flags uint8
	data  []byte
	at    int64 // offset of data
}

// shared reports a message stored elsewhere (flag bit 1), which this
// reader does not follow.
func (m *message) shared() bool { return m.flags&0x02 != 0 }

// cursor returns a cursor over the message's data.
func (m *message) cursor(f *file) *cursor {
	return &cursor{b: m.data, at: m.at, osize: f.osize, lsize: f.lsize}
}

type header struct {
	at   int64
	msgs []message
}

// find returns the first message of type typ, or nil.
func (h *header) find(typ uint16) *message {
	for i := range h.msgs {
		if h.msgs[i].typ == typ {
			return &h.msgs[i]
		}
	}
	return nil
}

// header reads an object header (version 1 or 2) and its continuation
// blocks.
func (f *file) header(addr uint64, from int64) (*header, error) {
	c, err := f.seek(addr, -1, from, "object header")
	if err != nil {
		return nil, err
	}
	h := &header{at: c.at}
	type block struct {
		addr, size uint64
		from       int64
	}
	var pending []block
	seen := map[uint64]bool{}
	v2 := len(c.b) >= 4 && string(c.b[:4]) == "OHDR"
	var flags uint8
	if v2 {
		c.skip(4)
		if v := c.u8(); v != 2 && c.err == nil {
			return nil, unsupported(c.off()-1, "object header version %d", v)
		}
		flags = c.u8()
		if flags&0x20 != 0 {
			c.skip(16) // access, modification, change and birth times
		}
		if flags&0x10 != 0 {
			c.skip(4) // attribute phase change values
		}
		size := int(c.uint(1 << (flags & 3)))
		start := c.pos
		chunk := c.take(size)
		c.pos = start + len(chunk)
		c.checksum(0)
		if c.err != nil {
			return nil, c.err
		}
		if err := f.messagesV2(h, chunk, c.at+int64(start), flags); err != nil {
			return nil, err
		}
	} else {
		version := c.u8()
		if c.err == nil && version != 1 {
			return nil, unsupported(c.at, "object header version %d", version)
		}
		c.skip(1 + 2 + 4) // reserved, message count, reference count
		size := c.u32()
		c.skip(4) // padding to 8 bytes
		if c.err != nil {
			return nil, c.err
		}
		chunk := c.take(int(min(size, 1<<30)))
		if c.err != nil {
			return nil, c.err
		}
		if err := f.messagesV1(h, chunk, c.at+16); err != nil {
			return nil, err
		}
	}
	// Follow continuation messages, each block once.
	for next := 0; ; {
		for ; next < len(h.msgs); next++ {
			m := &h.msgs[next]
			if m.typ != msgContinuation {
				continue
			}
			mc := m.cursor(f)
			b := block{addr: mc.addr(), size: mc.length(), from: m.at}
			if mc.err != nil {
				return nil, mc.err
			}
			pending = append(pending, b)
		}
		if len(pending) == 0 {
			return h, nil
		}
		b := pending[0]
		pending = pending[1:]
		if seen[b.addr] {
			return nil, errorf(b.from, "object header continuation loops back to address %d", b.addr)
		}
		seen[b.addr] = true
		if b.size > 1<<30 {
			return nil, errorf(b.from, "object header continuation of %d bytes", b.size)
		}
		bc, err := f.seek(b.addr, int64(b.size), b.from, "object header continuation")
		if err != nil {
			return nil, err
		}
		if v2 {
			bc.signature("OCHK")
			body := bc.take(bc.left() - 4)
			bc.checksum(0)
			if bc.err != nil {
				return nil, bc.err
			}
			if err := f.messagesV2(h, body, bc.at+4, flags); err != nil {
				return nil, err
			}
		} else if err := f.messagesV1(h, bc.b, bc.at); err != nil {
			return nil, err
		}
	}
}

func (f *file) messagesV1(h *header, b []byte, at int64) error {
	c := &cursor{b: b, at: at}
	for c.left() >= 8 {
		typ, size, flags := c.u16(), c.u16(), c.u8()
		c.skip(3)
		dat := c.off()
		data := c.take(int(size))
		if c.err != nil {
			return c.err
		}
		if err := h.add(message{typ: typ, flags: flags, data: data, at: dat}); err != nil {
			return err
		}
	}
	return nil
}

func (f *file) messagesV2(h *header, b []byte, at int64, hflags uint8) error {
	c := &cursor{b: b, at: at}
	hdr := 4
	if hflags&0x04 != 0 {
		hdr = 6 // creation order tracked
	}
	for c.left() >= hdr {
		typ, size, flags := c.u8(), c.u16(), c.u8()
		if hflags&0x04 != 0 {
			c.skip(2)
		}
		dat := c.off()
		data := c.take(int(size))
		if c.err != nil {
			return c.err
		}
		if err := h.add(message{typ: uint16(typ), flags: flags, data: data, at: dat}); err != nil {
			return err
		}
	}
	return nil
}

func (h *header) add(m message) error {
	if len(h.msgs) >= maxMessages {
		return errorf(m.at, "object header has more than %d messages", maxMessages)
	}
	if m.typ != 0 { // NIL messages are padding
		h.msgs = append(h.msgs, m)
	}
	return nil
}
