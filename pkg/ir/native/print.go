package native

import (
	"encoding/binary"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/sokr-rs/sokr/pkg/sokr"
)

// Print writes p in the canonical text format: the header, the params in
// declaration order, the other nodes in Nodes order and the return
// statement. Parse reads the text back to a program that prints the same.
func (p *Program) Print(w io.Writer) error {
	_, err := io.WriteString(w, p.String())
	return err
}

// String returns p in the canonical text format; see Print. It does not
// fail on a program that does not verify, but the text may not parse.
func (p *Program) String() string {
	var b strings.Builder
	b.WriteString(Format + "\n")
	for _, i := range p.Params {
		b.WriteString("param " + p.nodeName(i) + ": ")
		if i >= 0 && i < len(p.Nodes) {
			b.WriteString(p.Nodes[i].Type.String())
		}
		b.WriteByte('\n')
	}
	for i := range p.Nodes {
		if n := &p.Nodes[i]; n.Op != OpParam {
			p.writeNode(&b, n)
		}
	}
	b.WriteString("return ")
	for k, i := range p.Outputs {
		if k > 0 {
			b.WriteString(", ")
		}
		b.WriteString(p.nodeName(i))
	}
	b.WriteByte('\n')
	return b.String()
}

// nodeName is the name of node i, or a marker when i is out of range.
func (p *Program) nodeName(i int) string {
	if i < 0 || i >= len(p.Nodes) {
		return "?" + strconv.Itoa(i)
	}
	return p.Nodes[i].Name
}

func (p *Program) writeNode(b *strings.Builder, n *Node) {
	b.WriteString(n.Name + ": " + n.Type.String() + " = " + n.Op.String())
	if n.Op == OpConst {
		b.WriteByte(' ')
		writeConst(b, n.Type, n.Const)
	}
	for k, a := range n.Args {
		if k > 0 {
			b.WriteByte(',')
		}
		b.WriteString(" " + p.nodeName(a))
	}
	if key := attrKey(n.Op); key != "" {
		if len(n.Args) > 0 {
			b.WriteByte(',')
		}
		b.WriteString(" " + key + "=" + formatInts(n.Axes))
	}
	b.WriteByte('\n')
}

// writeConst writes a const literal: a nested list when c holds the full
// data of type t with a shape of rank > 0, else its one value (a splat).
func writeConst(b *strings.Builder, t Type, c sokr.Tensor) {
	size := c.DType.Size()
	if size == 0 || c.DType != t.DType || len(c.Data)%size != 0 {
		b.WriteString("?")
		return
	}
	count := len(c.Data) / size
	switch {
	case len(t.Shape) > 0 && c.Shape.Equal(t.Shape) && checkType(t) == nil && int64(count) == numElements(t.Shape):
		i := 0
		writeList(b, c, t.Shape, &i)
	case count == 1:
		writeElement(b, c, 0)
	default:
		b.WriteString("?")
	}
}

// writeList writes the elements of c for the dimensions shape, starting at
// element *i, as nested lists.
func writeList(b *strings.Builder, c sokr.Tensor, shape sokr.Shape, i *int) {
	b.WriteByte('[')
	for k := 0; k < shape[0]; k++ {
		if k > 0 {
			b.WriteByte(',')
		}
		if len(shape) > 1 {
			writeList(b, c, shape[1:], i)
		} else {
			writeElement(b, c, *i)
			*i++
		}
	}
	b.WriteByte(']')
}

// writeElement writes element i of c (native byte order, as sokr.Tensor
// holds it) so that the text parses back to the same bits: floats in the
// shortest form that round-trips, integers in decimal, bools as true/false.
func writeElement(b *strings.Builder, c sokr.Tensor, i int) {
	ne := binary.NativeEndian
	var buf [32]byte
	switch c.DType {
	case sokr.F32:
		v := math.Float32frombits(ne.Uint32(c.Data[4*i:]))
		b.Write(strconv.AppendFloat(buf[:0], float64(v), 'g', -1, 32))
	case sokr.F64:
		v := math.Float64frombits(ne.Uint64(c.Data[8*i:]))
		b.Write(strconv.AppendFloat(buf[:0], v, 'g', -1, 64))
	case sokr.I32:
		b.Write(strconv.AppendInt(buf[:0], int64(int32(ne.Uint32(c.Data[4*i:]))), 10))
	case sokr.I64:
		b.Write(strconv.AppendInt(buf[:0], int64(ne.Uint64(c.Data[8*i:])), 10))
	case sokr.Bool:
		b.WriteString(strconv.FormatBool(c.Data[i] != 0))
	default:
		b.WriteString("?")
	}
}
