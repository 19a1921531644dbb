package fashion

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/animalcnn/animalcnn/mlpkg/internal/allocs"
)

// idxBytes returns an idx file's bytes: its header words, then data.
func idxBytes(hdr []uint32, data []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, hdr)
	b.Write(data)
	return b.Bytes()
}

// gzipped returns data compressed with gzip.
func gzipped(data []byte) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(data)
	zw.Close()
	return b.Bytes()
}

// gunzipped returns what a gzip reader reads of data, and whether it read
// to the end without an error.
func gunzipped(data []byte) ([]byte, bool) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, false
	}
	out, err := io.ReadAll(zr)
	return out, err == nil
}

// FuzzReadIdx reads an arbitrary idx1 label file and idx3 image file (both
// gzip-compressed by the fuzzer when compress is set, as Debian ships them,
// else taken as they are): readLabels and eachImage return an error or
// their data, never panic nor allocate more than a few MiB beyond the
// files; labels are the file's bytes after the header, all below 10; and
// eachImage hands over the file's pictures in order, 784 bytes each, one
// per label.
func FuzzReadIdx(f *testing.F) {
	labels := []byte{0, 5, 9, 3}
	pix := make([]byte, 4*side*side)
	for i := range pix {
		pix[i] = byte(i / (side * side))
	}
	lbl := idxBytes([]uint32{labelMagic, 4}, labels)
	img := idxBytes([]uint32{imageMagic, 4, side, side}, pix)
	f.Add(lbl, img, true)
	f.Add(lbl[:10], img, true)
	f.Add(lbl, img[:len(img)-1], true)
	f.Add(idxBytes([]uint32{labelMagic, 1_000_000}, labels), img, true)
	f.Add(idxBytes([]uint32{labelMagic, 0xffffffff}, labels), img, true)
	f.Add(idxBytes([]uint32{labelMagic, 2}, []byte{10, 0}), img, true)
	f.Add(lbl, idxBytes([]uint32{imageMagic, 0xffffffff, side, side}, pix), true)
	f.Add(lbl, idxBytes([]uint32{imageMagic, 4, 0xffff, 0xffff}, pix), true)
	f.Add(gzipped(lbl), gzipped(img), false)
	f.Add(gzipped(lbl)[:20], gzipped(img)[:30], false)
	f.Add([]byte("not a gzip file at all"), []byte{}, false)
	f.Fuzz(func(t *testing.T, lbl, img []byte, compress bool) {
		if compress {
			lbl, img = gzipped(lbl), gzipped(img)
		}
		dir := t.TempDir()
		lp, ip := filepath.Join(dir, "labels.gz"), filepath.Join(dir, "images.gz")
		if err := os.WriteFile(lp, lbl, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(ip, img, 0o644); err != nil {
			t.Fatal(err)
		}
		// The labels' header caps them at a million (1 MB); gzip's
		// window and tables take some more.
		var got []byte
		var err error
		if n := allocs.Bytes(func() { got, err = readLabels(lp) }); n > 4<<20+uint64(4*len(lbl)) {
			t.Fatalf("readLabels of %d bytes allocated %d bytes", len(lbl), n)
		}
		if err != nil {
			return
		}
		raw, _ := gunzipped(lbl)
		if len(raw) < 8 || !bytes.Equal(got, raw[8:8+len(got)]) || len(got) != int(binary.BigEndian.Uint32(raw[4:])) {
			t.Fatalf("readLabels: %d labels from a file of %d bytes", len(got), len(raw))
		}
		for _, l := range got {
			if int(l) >= len(classNames) {
				t.Fatalf("label %d", l)
			}
		}
		rawImg, _ := gunzipped(img)
		count := 0
		if n := allocs.Bytes(func() {
			err = eachImage(context.Background(), ip, len(got), func(idx int, p []byte) (bool, error) {
				if idx != count || len(p) != side*side || !bytes.Equal(p, rawImg[16+idx*side*side:16+(idx+1)*side*side]) {
					t.Fatalf("picture %d (the %dth): %d bytes, not the file's", idx, count, len(p))
				}
				count++
				return true, nil
			})
		}); n > 4<<20+uint64(4*len(img)) {
			t.Fatalf("eachImage of %d bytes allocated %d bytes", len(img), n)
		}
		if err == nil && count != len(got) {
			t.Fatalf("eachImage: %d pictures for %d labels", count, len(got))
		}
	})
}

// FuzzReadablePNG: readablePNG decides from an arbitrary file whether
// Import must write a picture again, without panicking, and without
// allocating more than a small multiple of the file and of a 28×28
// picture, whatever size the file's header claims. A PNG that Import
// writes is readable.
func FuzzReadablePNG(f *testing.F) {
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, side, side))); err != nil {
		f.Fatal(err)
	}
	good := b.Bytes()
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add(good[:8])
	f.Add(pngHeader(30000, 30000))
	f.Add(pngHeader(side, side))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "train-00000.png")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		var ok bool
		if n := allocs.Bytes(func() { ok = readablePNG(p) }); n > 1<<20+uint64(16*len(data)) {
			t.Fatalf("readablePNG of %d bytes allocated %d bytes (readable: %v)", len(data), n, ok)
		}
		if bytes.Equal(data, good) && !ok {
			t.Fatal("a picture Import writes is not readable")
		}
	})
}
