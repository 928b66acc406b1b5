package hdf5_test

import (
	"fmt"
	"os"

	"github.com/sokr-rs/sokr/pkg/internal/hdf5"
)

func Example() {
	data, err := os.ReadFile("testdata/v3.h5")
	if err != nil {
		fmt.Println(err)
		return
	}
	root, err := hdf5.Decode(data)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, m := range root.Lookup("types").Members[:4] {
		fmt.Println(m.Path, m.Value.Class, m.Value.Shape)
	}
	v := root.Lookup("layouts/single").Value
	x, _ := v.Float64s()
	fmt.Println(v.Shape, x[:5])
	s, _ := root.Lookup("types/vlen2d").Value.Strings()
	fmt.Printf("%q\n", s)
	// Output:
	// /types/bool integer [3]
	// /types/empty float [0 3]
	// /types/f16 float [4]
	// /types/f32 float [5]
	// [3 4] [0 1 2 3 4]
	// ["a" "bc" "" "déf"]
}

func ExampleDecode_error() {
	_, err := hdf5.Decode([]byte("\x89HDF\r\n\x1a\n\x07"))
	fmt.Println(err)
	// Output:
	// hdf5: at byte 8: unsupported: superblock version 7
}
