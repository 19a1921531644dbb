package dataset

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// craftNPY writes a version 1.0 .npy file with the given dtype and shape
// (as Python would write it, e.g. "(2, 3)") followed by body.
func craftNPY(t *testing.T, path, dtype, shape string, body []byte) {
	t.Helper()
	dict := "{'descr': '" + dtype + "', 'fortran_order': False, 'shape': " + shape + ", }"
	for (10+len(dict)+1)%64 != 0 {
		dict += " "
	}
	var b bytes.Buffer
	b.WriteString("\x93NUMPY\x01\x00")
	binary.Write(&b, binary.LittleEndian, uint16(len(dict)+1))
	b.WriteString(dict + "\n")
	b.Write(body)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// allocated returns the bytes fn allocated on the heap.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestNPYDamagedHeader(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, dtype, shape string
	}{
		{"negative dimension", "|u1", "(-1, 8, 8, 3)"},
		{"more images than the file holds", "|u1", "(100000, 50, 50, 3)"},
		{"4e9 images", "|u1", "(4000000000, 50, 50, 3)"},
		{"size overflows", "|u1", "(4000000000, 4000000000, 4000000000, 3)"},
		{"negative labels", "<i4", "(-2,)"},
		{"more labels than the file holds", "<i4", "(1000000,)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, "x.npy")
			craftNPY(t, p, tc.dtype, tc.shape, make([]byte, 16))
			var err error
			n := allocated(func() {
				if tc.dtype == dtypeInt32 {
					_, err = readInt32NPY(p)
				} else {
					_, _, err = readUint8NPY(p)
				}
			})
			if err == nil {
				t.Error("no error")
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
	if _, _, err := readUint8NPY(p); err == nil {
		t.Error("header longer than the file: no error")
	}
	// An empty array is fine.
	craftNPY(t, p, "|u1", "(0, 50, 50, 3)", nil)
	if data, shape, err := readUint8NPY(p); err != nil || len(data) != 0 || len(shape) != 4 {
		t.Errorf("empty array: %d bytes, shape %v, %v", len(data), shape, err)
	}
}
