package hdf5

import (
	"encoding/binary"
	"math/bits"
)

// cursor reads little-endian fields from b, which starts at absolute file
// offset at. The first read past the end records an error and later reads
// return zeros, so that a structure is parsed straight through and checked
// once (c.err) at the end.
type cursor struct {
	b     []byte
	pos   int
	at    int64
	osize int // size of offsets (addresses)
	lsize int // size of lengths
	err   error
}

func (c *cursor) off() int64 { return c.at + int64(c.pos) }

func (c *cursor) fail(format string, args ...any) {
	if c.err == nil {
		c.err = errorf(c.off(), format, args...)
	}
}

// take returns the next n bytes, or nil after recording a truncation.
func (c *cursor) take(n int) []byte {
	if c.err != nil {
		return nil
	}
	if n < 0 || n > len(c.b)-c.pos {
		c.fail("truncated: need %d bytes, %d left in this structure", n, len(c.b)-c.pos)
		return nil
	}
	p := c.b[c.pos : c.pos+n : c.pos+n]
	c.pos += n
	return p
}

func (c *cursor) skip(n int) { c.take(n) }

func (c *cursor) left() int { return len(c.b) - c.pos }

// uint reads an n-byte little-endian unsigned integer (n <= 8).
func (c *cursor) uint(n int) uint64 {
	p := c.take(n)
	var v uint64
	for i := len(p) - 1; i >= 0; i-- {
		v = v<<8 | uint64(p[i])
	}
	return v
}

func (c *cursor) u8() uint8   { return uint8(c.uint(1)) }
func (c *cursor) u16() uint16 { return uint16(c.uint(2)) }
func (c *cursor) u32() uint32 { return uint32(c.uint(4)) }
func (c *cursor) u64() uint64 { return c.uint(8) }

// addr reads a file address (size of offsets); undefined addresses are
// all ones and come back as undef.
func (c *cursor) addr() uint64 {
	v := c.uint(c.osize)
	if c.osize < 8 && v == 1<<(8*c.osize)-1 {
		return undef
	}
	return v
}

func (c *cursor) length() uint64 { return c.uint(c.lsize) }

// signature checks a 4-byte structure signature.
func (c *cursor) signature(sig string) {
	at := c.off()
	p := c.take(4)
	if c.err == nil && string(p) != sig {
		c.err = errorf(at, "expected signature %q, found %q", sig, p)
	}
}

// checksum verifies the Jenkins lookup3 checksum that follows the bytes
// from start to the current position.
func (c *cursor) checksum(start int) {
	if c.err != nil {
		return
	}
	at := c.off()
	sum := lookup3(c.b[start:c.pos])
	if stored := c.u32(); c.err == nil && stored != sum {
		c.err = errorf(at, "checksum mismatch (stored %#08x, computed %#08x): the file is corrupt", stored, sum)
	}
}

// undef is the undefined address.
const undef = ^uint64(0)

// bytesFor is the number of bytes that encode values up to n.
func bytesFor(n uint64) int {
	if n == 0 {
		return 1
	}
	return (bits.Len64(n) + 7) / 8
}

// lookup3 is Bob Jenkins' hashlittle with initial value 0, the checksum of
// HDF5's version-2 structures (H5_checksum_lookup3 in H5checksum.c).
func lookup3(k []byte) uint32 {
	a := uint32(0xdeadbeef) + uint32(len(k))
	b, c := a, a
	for len(k) > 12 {
		a += binary.LittleEndian.Uint32(k[0:])
		b += binary.LittleEndian.Uint32(k[4:])
		c += binary.LittleEndian.Uint32(k[8:])
		a -= c
		a ^= bits.RotateLeft32(c, 4)
		c += b
		b -= a
		b ^= bits.RotateLeft32(a, 6)
		a += c
		c -= b
		c ^= bits.RotateLeft32(b, 8)
		b += a
		a -= c
		a ^= bits.RotateLeft32(c, 16)
		c += b
		b -= a
		b ^= bits.RotateLeft32(a, 19)
		a += c
		c -= b
		c ^= bits.RotateLeft32(b, 4)
		b += a
		k = k[12:]
	}
	if len(k) == 0 {
		return c
	}
	var tail [12]byte
	copy(tail[:], k)
	a += binary.LittleEndian.Uint32(tail[0:])
	b += binary.LittleEndian.Uint32(tail[4:])
	c += binary.LittleEndian.Uint32(tail[8:])
	c ^= b
	c -= bits.RotateLeft32(b, 14)
	a ^= c
	a -= bits.RotateLeft32(c, 11)
	b ^= a
	b -= bits.RotateLeft32(a, 25)
	c ^= b
	c -= bits.RotateLeft32(b, 16)
	a ^= c
	a -= bits.RotateLeft32(c, 4)
	b ^= a
	b -= bits.RotateLeft32(a, 14)
	c ^= b
	c -= bits.RotateLeft32(b, 24)
	return c
}
