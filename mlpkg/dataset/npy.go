package dataset

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"codeberg.org/sbinet/npyio"
)

// NumPy .npy files. npyio parses the header when reading, but its writer
// records slices as 1-D (shape (len,)) and its reader copies a byte at a time,
// too slow for a few hundred MB of images. So the (short, documented) version
// 1.0 header is written here, and the data is streamed raw after npyio has
// read the header. Arrays are C-order, little-endian.

// The .npy element types used here (dtype descriptors).
const (
	dtypeUint8 = "|u1"
	dtypeInt32 = "<i4"
)

// npyHeader returns a version 1.0 .npy header for an array of the given
// dtype and shape, padded so that the data starts at a multiple of 64 bytes.
func npyHeader(dtype string, shape []int) []byte {
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = strconv.Itoa(d)
	}
	shapeStr := "(" + strings.Join(dims, ", ")
	if len(shape) == 1 {
		shapeStr += ","
	}
	shapeStr += ")"
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", dtype, shapeStr)
	const prefix = 10 // magic (6) + version (2) + header length (2)
	total := prefix + len(dict) + 1
	pad := (64 - total%64) % 64
	h := make([]byte, 0, total+pad)
	h = append(h, npyio.Magic[:]...)
	h = append(h, 1, 0)
	h = binary.LittleEndian.AppendUint16(h, uint16(len(dict)+pad+1))
	h = append(h, dict...)
	h = append(h, strings.Repeat(" ", pad)...)
	return append(h, '\n')
}

// writeUint8NPY writes data as a uint8 array of the given shape.
func writeUint8NPY(w io.Writer, data []uint8, shape []int) error {
	if _, err := w.Write(npyHeader(dtypeUint8, shape)); err != nil {
		return err
	}
	_, err := w.Write(data)
	return err
}

// writeInt32NPY writes data as a 1-D little-endian int32 array.
func writeInt32NPY(w io.Writer, data []int32) error {
	if _, err := w.Write(npyHeader(dtypeInt32, []int{len(data)})); err != nil {
		return err
	}
	buf := make([]byte, 0, 4*len(data))
	for _, v := range data {
		buf = binary.LittleEndian.AppendUint32(buf, uint32(v))
	}
	_, err := w.Write(buf)
	return err
}

// openNPY opens path, parses its header with npyio and checks the dtype
// (one of accept, itemSize bytes an element), C order and the shape: no
// negative dimension, and no more elements than the file holds, so that a
// damaged header can neither crash the reader nor make it allocate more
// than the file's size. It returns the reader positioned at the data, the
// shape and the number of elements.
func openNPY(path string, itemSize int, accept ...string) (*os.File, *bufio.Reader, []int, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, nil, 0, err
	}
	br, shape, n, err := readNPYHeader(f, itemSize, accept)
	if err != nil {
		f.Close()
		return nil, nil, nil, 0, fmt.Errorf("read %s: %w", path, err)
	}
	return f, br, shape, n, nil
}

// readNPYHeader does openNPY's work on the open file f.
func readNPYHeader(f *os.File, itemSize int, accept []string) (br *bufio.Reader, shape []int, n int, err error) {
	st, err := f.Stat()
	if err != nil {
		return nil, nil, 0, err
	}
	// The header's length is in its first 12 bytes: check it against the
	// file's size before npyio allocates it.
	var pre [12]byte
	if _, err := f.ReadAt(pre[:], 0); err != nil {
		return nil, nil, 0, fmt.Errorf("not a .npy file (%d bytes): %w", st.Size(), err)
	}
	if !bytes.Equal(pre[:6], npyio.Magic[:]) {
		return nil, nil, 0, fmt.Errorf("not a .npy file (it starts with %q)", pre[:6])
	}
	var dataStart int64
	switch pre[6] {
	case 1:
		dataStart = 10 + int64(binary.LittleEndian.Uint16(pre[8:]))
	case 2, 3:
		dataStart = 12 + int64(binary.LittleEndian.Uint32(pre[8:]))
	default:
		return nil, nil, 0, fmt.Errorf(".npy format version %d.%d not supported", pre[6], pre[7])
	}
	if dataStart > st.Size() {
		return nil, nil, 0, fmt.Errorf(".npy header of %d bytes in a file of %d: damaged or truncated", dataStart, st.Size())
	}
	// npyio v0.14 slices a malformed header without checking it (a header
	// without '\n', keys out of order): an error, not a crash.
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("damaged .npy header: %v", p)
		}
	}()
	br = bufio.NewReaderSize(f, 1<<20)
	r, err := npyio.NewReader(br)
	if err != nil {
		return nil, nil, 0, err
	}
	dtype := strings.Trim(r.Header.Descr.Type, `'"`)
	if !slices.Contains(accept, dtype) || r.Header.Descr.Fortran {
		return nil, nil, 0, fmt.Errorf("dtype %s (fortran order %v), want %s in C order", dtype, r.Header.Descr.Fortran, accept[0])
	}
	shape = r.Header.Descr.Shape
	avail := (st.Size() - dataStart) / int64(itemSize) // elements the file can hold
	empty := slices.Contains(shape, 0)
	total := int64(1)
	for _, d := range shape {
		switch {
		case d < 0:
			return nil, nil, 0, fmt.Errorf("damaged .npy header: shape %v has a negative dimension", shape)
		case empty:
		case total > avail/int64(d): // total*d > avail, without overflow
			return nil, nil, 0, fmt.Errorf("shape %v declares more data than the file's %d bytes after its header: damaged or truncated", shape, st.Size()-dataStart)
		default:
			total *= int64(d)
		}
	}
	if empty {
		total = 0
	}
	n = int(total)
	return br, shape, n, nil
}

// readUint8NPY reads a uint8 array and its shape.
func readUint8NPY(path string) ([]uint8, []int, error) {
	f, br, shape, n, err := openNPY(path, 1, dtypeUint8, "<u1")
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	data := make([]uint8, n)
	if _, err := io.ReadFull(br, data); err != nil {
		return nil, nil, fmt.Errorf("read %s: %d bytes: %w", path, n, err)
	}
	return data, shape, nil
}

// readInt32NPY reads a 1-D int32 array.
func readInt32NPY(path string) ([]int32, error) {
	f, br, shape, n, err := openNPY(path, 4, dtypeInt32)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if len(shape) != 1 {
		return nil, fmt.Errorf("read %s: shape %v, want 1-D", path, shape)
	}
	raw := make([]byte, 4*n)
	if _, err := io.ReadFull(br, raw); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	out := make([]int32, n)
	for i := range out {
		out[i] = int32(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	return out, nil
}
