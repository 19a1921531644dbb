package dataset

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/animalcnn/animalcnn/mlpkg/internal/allocs"
)

// npyFile returns what writeUint8NPY (or writeInt32NPY, for int32 data)
// writes.
func npyFile(tb testing.TB, data any, shape ...int) []byte {
	tb.Helper()
	var b bytes.Buffer
	var err error
	switch d := data.(type) {
	case []uint8:
		err = writeUint8NPY(&b, d, shape)
	case []int32:
		err = writeInt32NPY(&b, d)
	}
	if err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// FuzzReadNPY reads arbitrary bytes as a .npy file of images (uint8) and
// of labels (int32): an error or an array, never a panic, and never more
// memory than a small multiple of the file's size (a header that claims
// 2^40 elements is refused before anything is allocated for them). An
// array read holds exactly its shape's elements, which the file holds.
func FuzzReadNPY(f *testing.F) {
	images := npyFile(f, []uint8{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 1, 2, 2, 3)
	labels := npyFile(f, []int32{0, 1, -1, 1 << 30})
	for _, seed := range [][]byte{
		images, labels,
		images[:len(images)-1], labels[:len(labels)-3], images[:70], images[:9],
		npyFile(f, []uint8{}, 0, 50, 50, 3),
		npyFile(f, []int32{}),
		npyBytes(2, "|u1", "(2, 3)", make([]byte, 6)),
		npyBytes(1, "<u1", "(2,)", []byte{1, 2}),
		npyBytes(1, "|u1", "(4000000000, 4000000000, 4000000000, 3)", make([]byte, 16)),
		npyBytes(1, "|u1", "(1099511627776,)", make([]byte, 16)),
		npyBytes(1, "<i4", "(-2,)", make([]byte, 16)),
		npyBytes(1, "|u1", "(0, -1, 8, 3)", nil),
		npyBytes(1, "|u1", "()", []byte{7}),
		npyBytes(3, "<i4", "(1,)", make([]byte, 4)),
		[]byte(strings.Replace(string(images), "False", "True", 1)),
		[]byte("\x93NUMPY\x01\x00\x06\x00{'x': "),
		[]byte("\x93NUMPY\x02\x00\x00\x28\x6b\xee"),
		[]byte("a text file, not an array\n"),
		{},
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, file []byte) {
		p := filepath.Join(t.TempDir(), "x.npy")
		if err := os.WriteFile(p, file, 0o644); err != nil {
			t.Fatal(err)
		}
		// bufio's 1 MiB buffer, and a few times the file (the header
		// parsed, the int32 labels converted).
		limit := uint64(2<<20 + 16*len(file))
		var data []uint8
		var shape []int
		var err error
		if n := allocs.Bytes(func() { data, shape, err = readUint8NPY(p) }); n > limit {
			t.Fatalf("readUint8NPY of %d bytes allocated %d bytes", len(file), n)
		}
		if err == nil {
			count := 1
			for _, d := range shape {
				count *= d
			}
			if count != len(data) || len(data) > len(file) {
				t.Fatalf("readUint8NPY of %d bytes: %d elements, shape %v", len(file), len(data), shape)
			}
		}
		var labels []int32
		if n := allocs.Bytes(func() { labels, err = readInt32NPY(p) }); n > limit {
			t.Fatalf("readInt32NPY of %d bytes allocated %d bytes", len(file), n)
		}
		if err == nil && 4*len(labels) > len(file) {
			t.Fatalf("readInt32NPY of %d bytes: %d labels", len(file), len(labels))
		}
	})
}

// FuzzNPYRoundTrip writes arrays with writeUint8NPY and writeInt32NPY and
// reads them back: the same shape and elements.
func FuzzNPYRoundTrip(f *testing.F) {
	f.Add([]byte{1, 2, 2, 3}, []byte("abcdefghijkl"))
	f.Add([]byte{0, 50, 50, 3}, []byte{})
	f.Add([]byte{5}, []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20})
	f.Add([]byte{}, []byte{42})
	f.Add(bytes.Repeat([]byte{1}, 40), []byte{9})
	f.Fuzz(func(t *testing.T, dims, data []byte) {
		if len(dims) > 64 {
			t.Skip()
		}
		shape, count := make([]int, len(dims)), 1
		for i, d := range dims {
			shape[i] = int(d % 8)
		}
		if slices.Contains(shape, 0) {
			count = 0
		}
		for _, d := range shape {
			if count *= d; count > len(data) {
				t.Skip() // more than the data given (before it overflows)
			}
		}
		if count > len(data) { // a 0-D array, of one element
			t.Skip()
		}
		dir := t.TempDir()
		p := filepath.Join(dir, "images.npy")
		if err := os.WriteFile(p, npyFile(t, data[:count], shape...), 0o644); err != nil {
			t.Fatal(err)
		}
		got, gotShape, err := readUint8NPY(p)
		if err != nil || !bytes.Equal(got, data[:count]) || !slices.Equal(gotShape, shape) {
			t.Fatalf("wrote %d bytes of shape %v, read %d of shape %v (%v)", count, shape, len(got), gotShape, err)
		}
		labels := make([]int32, len(data)/4)
		for i := range labels {
			labels[i] = int32(binary.LittleEndian.Uint32(data[4*i:]))
		}
		p = filepath.Join(dir, "labels.npy")
		if err := os.WriteFile(p, npyFile(t, labels), 0o644); err != nil {
			t.Fatal(err)
		}
		if got, err := readInt32NPY(p); err != nil || !slices.Equal(got, labels) {
			t.Fatalf("wrote labels %v, read %v (%v)", labels, got, err)
		}
	})
}

// fuzzDataset writes a small valid dataset (two classes, 2×2 images, two
// training photos and one test photo) to dir with writeAll.
func fuzzDataset(tb testing.TB, dir string) {
	tb.Helper()
	train := Split{N: 2, Size: 2, Images: []uint8{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23}, Labels: []int32{0, 1}}
	test := Split{N: 1, Size: 2, Images: []uint8{30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41}, Labels: []int32{1}}
	meta := Meta{Version: MetaVersion, Classes: []string{"c0", "c1"}, ImageSize: 2, SamplesPerPhoto: 1, TrainN: 2, TestN: 1,
		Split: SplitInfo{Mode: SplitRandom, TestFraction: 0.3, Seed: 1},
		Files: []SourceFile{
			{Path: "c0/a.png", Label: 0, SHA256: "aa", Split: TrainSplit},
			{Path: "c1/b.png", Label: 1, SHA256: "bb", Split: TestSplit},
			{Path: "c1/c.png", Label: 1, SHA256: "cc", Split: TrainSplit},
		}}
	meta.Hash = HashArrays(meta.Classes, meta.ImageSize, &train, &test)
	if err := writeAll(context.Background(), dir, &meta, &train, &test); err != nil {
		tb.Fatal(err)
	}
}

// FuzzLoad loads a dataset whose dataset.json is arbitrary bytes, and one
// of whose four arrays is too when replace picks it (replace%5 < 4): Load
// returns an error or a consistent dataset (as many labels, images of the
// size and photo names as samples, labels in range), never panics nor
// allocates more than a small multiple of the files' sizes; and HoldOut
// and Subset work on what it returns.
func FuzzLoad(f *testing.F) {
	dir := f.TempDir()
	fuzzDataset(f, dir)
	meta, err := os.ReadFile(filepath.Join(dir, MetaFile))
	if err != nil {
		f.Fatal(err)
	}
	arrays := make([][]byte, len(outputFiles)-1)
	for i := range arrays {
		if arrays[i], err = os.ReadFile(filepath.Join(dir, outputFiles[i])); err != nil {
			f.Fatal(err)
		}
	}
	f.Add(meta, uint8(4), []byte{})
	f.Add(meta[:len(meta)/2], uint8(4), []byte{})
	for i, a := range arrays {
		f.Add(meta, uint8(i), a[:len(a)-1])
		f.Add(meta, uint8(i), a)
	}
	edit := func(from, to string) []byte { return bytes.Replace(meta, []byte(from), []byte(to), 1) }
	f.Add(edit(`"augment": false`, `"augment": true`), uint8(4), []byte{})
	f.Add(edit(`"samples_per_photo": 1`, `"samples_per_photo": 1000000000`), uint8(4), []byte{})
	f.Add(edit(`"image_size": 2`, `"image_size": 4611686018427387904`), uint8(4), []byte{})
	f.Add(edit(`"train_n": 2`, `"train_n": -2`), uint8(4), []byte{})
	f.Add(edit(`"split": "train"`, `"split": "validation"`), uint8(4), []byte{})
	f.Add(edit(`"sha256": "bb"`, `"sha256": "aa"`), uint8(4), []byte{})
	f.Add(meta, uint8(0), npyBytes(1, "|u1", "(2, 2, 2, 3)", make([]byte, 24)))
	f.Add(meta, uint8(1), npyBytes(1, "<i4", "(2,)", []byte{0, 0, 0, 0, 2, 0, 0, 0}))
	f.Add([]byte(`{"version":1,"classes":["a","b"],"image_size":1099511627776,"samples_per_photo":1,"hash":"x"}`), uint8(0), npyBytes(1, "|u1", "(0, 1099511627776, 1099511627776, 3)", nil))
	f.Fuzz(func(t *testing.T, metaJSON []byte, replace uint8, array []byte) {
		dir := t.TempDir()
		size := len(metaJSON)
		for i, a := range arrays {
			if int(replace%5) == i {
				a = array
			}
			size += len(a)
			if err := os.WriteFile(filepath.Join(dir, outputFiles[i]), a, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, MetaFile), metaJSON, 0o644); err != nil {
			t.Fatal(err)
		}
		var ds *Dataset
		var err error
		// bufio's 1 MiB buffer per array, and a few times the files.
		if n := allocs.Bytes(func() { ds, err = Load(dir) }); n > uint64(8<<20+64*size) {
			t.Fatalf("Load of %d bytes of files allocated %d bytes", size, n)
		}
		if err != nil {
			return
		}
		for _, s := range []*Split{&ds.Train, &ds.Test} {
			if len(s.Labels) != s.N || len(s.Files) != s.N || s.Size != ds.Meta.ImageSize || len(s.Images) != s.N*s.Size*s.Size*3 {
				t.Fatalf("split of %d samples: %d labels, %d files, %d bytes of %d×%d images", s.N, len(s.Labels), len(s.Files), len(s.Images), s.Size, s.Size)
			}
			for _, l := range s.Labels {
				if l < 0 || int(l) >= len(ds.Meta.Classes) {
					t.Fatalf("label %d of %d classes", l, len(ds.Meta.Classes))
				}
			}
			train, held := s.HoldOut(0.5, 1)
			if len(train)+len(held) != s.N {
				t.Fatalf("HoldOut of %d samples: %d + %d", s.N, len(train), len(held))
			}
			if sub := s.Subset(held); sub.N != len(held) {
				t.Fatalf("Subset of %d samples: %d", len(held), sub.N)
			}
		}
		if err := ds.Verify(); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzExclusions reads an arbitrary exclude.txt, then adds entries
// (separated by NUL bytes) with a reason: reading never panics and yields
// trimmed entries without comments; AddExclusions either refuses the
// entries, leaving the file as it was, or adds them so that each reads
// back as written, and every entry listed before is still listed.
func FuzzExclusions(f *testing.F) {
	f.Add([]byte("\uFEFFp00.png\r\n  # a comment\r\nold.jpg # after an entry\nglued.jpg#c\r\n\n  1234  \nlast.jpg"), "5.jpg\x00beach (2).jpg", "picked on the contact sheet")
	f.Add([]byte{}, " 5.jpg \x00\x005.jpg", "")
	f.Add([]byte("a.jpg"), "b.jpg", "two\nlines")
	f.Add([]byte("a.jpg\r"), "#1.jpg", "")
	f.Add([]byte("\uFEFF"), "x\ry", "r")
	f.Add([]byte("\xef\xbb"), "\uFEFFa.jpg", "")
	f.Add([]byte("x\n"), "a\u00a0", "")
	f.Add([]byte{}, "\uFEFFa.jpg", "")
	f.Fuzz(func(t *testing.T, content []byte, entries, reason string) {
		dir := t.TempDir()
		path := filepath.Join(dir, ExcludeFile)
		if err := os.WriteFile(path, content, 0o644); err != nil {
			t.Fatal(err)
		}
		before, err := ReadExclusions(dir)
		if err != nil {
			return // a line too long for bufio.Scanner
		}
		for e := range before {
			if e == "" || strings.Contains(e, "#") || strings.TrimSpace(e) != e || strings.ContainsAny(e, "\n") {
				t.Fatalf("entry %q read from %q", e, content)
			}
		}
		list := strings.Split(entries, "\x00")
		if err := AddExclusions(dir, reason, list...); err != nil {
			if after, _ := os.ReadFile(path); !bytes.Equal(after, content) {
				t.Fatalf("AddExclusions(%q) failed (%v) and changed the file from %q to %q", list, err, content, after)
			}
			return
		}
		after, err := ReadExclusions(dir)
		if err != nil {
			t.Fatalf("after AddExclusions(%q, %q) to %q: %v", reason, list, content, err)
		}
		for e := range before {
			if !after[e] {
				t.Fatalf("%q was listed in %q, and is not after AddExclusions(%q, %q)", e, content, reason, list)
			}
		}
		for _, e := range list {
			if e = strings.TrimSpace(e); e != "" && !after[e] {
				b, _ := os.ReadFile(path)
				t.Fatalf("AddExclusions(%q) to %q: %q does not read back from %q", list, content, e, b)
			}
		}
	})
}
