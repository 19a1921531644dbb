package dataset

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"codeberg.org/sbinet/npyio"
	"github.com/animalcnn/animalcnn/mlpkg/internal/allocs"
)

// craftNPY writes a version 1.0 .npy file with the given dtype and shape
// (as Python would write it, e.g. "(2, 3)") followed by body.
func craftNPY(t *testing.T, path, dtype, shape string, body []byte) {
	t.Helper()
	if err := os.WriteFile(path, npyBytes(1, dtype, shape, body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestNPYDamagedHeader(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, dtype, shape, want string
	}{
		{"negative dimension", "|u1", "(-1, 8, 8, 3)", "negative dimension"},
		{"a negative dimension after a zero", "|u1", "(0, -1, 8, 3)", "negative dimension"},
		{"more images than the file holds", "|u1", "(100000, 50, 50, 3)", "declares more data"},
		{"4e9 images", "|u1", "(4000000000, 50, 50, 3)", "declares more data"},
		{"size overflows", "|u1", "(4000000000, 4000000000, 4000000000, 3)", "declares more data"},
		{"negative labels", "<i4", "(-2,)", "negative dimension"},
		{"more labels than the file holds", "<i4", "(1000000,)", "declares more data"},
		{"one label more than the file holds", "<i4", "(5,)", "declares more data"}, // 16 bytes: 4 labels
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, "x.npy")
			craftNPY(t, p, tc.dtype, tc.shape, make([]byte, 16))
			var err error
			n := allocs.Bytes(func() {
				if tc.dtype == dtypeInt32 {
					_, err = readInt32NPY(p)
				} else {
					_, _, err = readUint8NPY(p)
				}
			})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%v, want an error saying %q", err, tc.want)
			}
			if n > 4<<20 {
				t.Errorf("allocated %d bytes for a %d-byte body", n, 16)
			}
			t.Log(err)
		})
	}
	// A header without its final newline, and one longer than the file.
	var b bytes.Buffer
	b.WriteString("\x93NUMPY\x01\x00")
	binary.Write(&b, binary.LittleEndian, uint16(6))
	b.WriteString("{'x': ")
	p := filepath.Join(dir, "bad.npy")
	os.WriteFile(p, b.Bytes(), 0o644)
	if _, _, err := readUint8NPY(p); err == nil {
		t.Error("header without newline: no error")
	}
	b.Reset()
	b.WriteString("\x93NUMPY\x02\x00")
	binary.Write(&b, binary.LittleEndian, uint32(4000000000))
	os.WriteFile(p, b.Bytes(), 0o644)
	var err error
	if n := allocs.Bytes(func() { _, _, err = readUint8NPY(p) }); err == nil || n > 4<<20 {
		t.Errorf("header longer than the file: %v, %d bytes allocated", err, n)
	}
	// An empty array is fine.
	craftNPY(t, p, "|u1", "(0, 50, 50, 3)", nil)
	if data, shape, err := readUint8NPY(p); err != nil || len(data) != 0 || len(shape) != 4 {
		t.Errorf("empty array: %d bytes, shape %v, %v", len(data), shape, err)
	}
}

// TestNPYHeader: the header is numpy's version 1.0 layout, a 1-D shape
// written as a tuple ("(3,)", which numpy requires), padded with spaces to
// the next multiple of 64 bytes and no further, and npyio reads it back.
func TestNPYHeader(t *testing.T) {
	want := "\x93NUMPY\x01\x00\x76\x00{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }" + strings.Repeat(" ", 60) + "\n"
	if got := string(npyHeader(dtypeInt32, []int{3})); got != want {
		t.Errorf("header\n%q\nwant\n%q", got, want)
	}
	for dims := 1; dims <= 64; dims++ {
		shape := make([]int, dims)
		for i := range shape {
			shape[i] = 1
		}
		h := npyHeader(dtypeUint8, shape)
		dict := strings.TrimRight(string(h[10:]), " \n")
		if len(h)%64 != 0 || len(h)-(10+len(dict)+1) >= 64 || int(binary.LittleEndian.Uint16(h[8:])) != len(h)-10 {
			t.Errorf("%d dimensions: %d bytes for a %d-byte dictionary, header length field %d", dims, len(h), len(dict), binary.LittleEndian.Uint16(h[8:]))
		}
		r, err := npyio.NewReader(bytes.NewReader(h))
		if err != nil || len(r.Header.Descr.Shape) != dims {
			t.Errorf("%d dimensions: npyio reads %v, %v", dims, r, err)
		}
	}
}

// TestNPYTypesAndVersions: the readers take numpy's other spellings and
// header version 2.0, and refuse other files, element types and shapes.
func TestNPYTypesAndVersions(t *testing.T) {
	dir := t.TempDir()
	// v2 writes a version 2.0 file: a 4-byte header length.
	v2 := func(dtype, shape string, body []byte) []byte { return npyBytes(2, dtype, shape, body) }
	for _, tc := range []struct {
		name   string
		labels bool // read with readInt32NPY, else readUint8NPY
		file   func(path string)
		want   string // "" for read
	}{
		{"uint8 as <u1", false, func(p string) { craftNPY(t, p, "<u1", "(2, 3)", make([]byte, 6)) }, ""},
		{"version 2.0", false, func(p string) { writeFile(t, p, v2("|u1", "(2, 3)", make([]byte, 6))) }, ""},
		{"version 2.0, one byte short", false, func(p string) { writeFile(t, p, v2("|u1", "(2, 3)", make([]byte, 5))) }, "declares more data"},
		{"images of int32", false, func(p string) { craftNPY(t, p, "<i4", "(2, 3)", make([]byte, 24)) }, "dtype <i4"},
		{"labels of int64", true, func(p string) { craftNPY(t, p, "<i8", "(2,)", make([]byte, 16)) }, "dtype <i8"},
		{"labels of uint8", true, func(p string) { craftNPY(t, p, "|u1", "(4,)", make([]byte, 4)) }, "dtype |u1"},
		{"2-D labels", true, func(p string) { craftNPY(t, p, "<i4", "(2, 2)", make([]byte, 16)) }, "want 1-D"},
		{"not a .npy file", false, func(p string) { writeFile(t, p, []byte("a text file, not an array\n")) }, "not a .npy file"},
	} {
		p := filepath.Join(dir, "x.npy")
		tc.file(p)
		var err error
		if tc.labels {
			_, err = readInt32NPY(p)
		} else {
			_, _, err = readUint8NPY(p)
		}
		if tc.want == "" && err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
		if tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: %v, want an error saying %q", tc.name, err, tc.want)
		}
	}
}

// npyBytes returns a .npy file of format version major (1: a 2-byte header
// length, 2: a 4-byte one) with the given dtype and shape (as Python writes
// it, e.g. "(2, 3)"), followed by body.
func npyBytes(major byte, dtype, shape string, body []byte) []byte {
	lenBytes := 2
	if major >= 2 {
		lenBytes = 4
	}
	dict := "{'descr': '" + dtype + "', 'fortran_order': False, 'shape': " + shape + ", }"
	for (8+lenBytes+len(dict)+1)%64 != 0 {
		dict += " "
	}
	var b bytes.Buffer
	b.WriteString("\x93NUMPY")
	b.Write([]byte{major, 0})
	if lenBytes == 2 {
		binary.Write(&b, binary.LittleEndian, uint16(len(dict)+1))
	} else {
		binary.Write(&b, binary.LittleEndian, uint32(len(dict)+1))
	}
	b.WriteString(dict + "\n")
	b.Write(body)
	return b.Bytes()
}
