package dataset

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"codeberg.org/sbinet/npyio"
)

// NumPy .npy files. npyio parses the header when reading, but its writer
// records slices as 1-D (shape (len,)) and its reader copies a byte at a time,
// too slow for a few hundred MB of images. So the (short, documented) version
// 1.0 header is written here, and the data is streamed raw after npyio has
// read the header. Arrays are C-order, little-endian.

// npyDType names the element types used here.
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
// (one of accept) and C order. It returns the reader positioned at the data.
func openNPY(path string, accept ...string) (*os.File, *bufio.Reader, []int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, nil, err
	}
	br := bufio.NewReaderSize(f, 1<<20)
	r, err := npyio.NewReader(br)
	if err != nil {
		f.Close()
		return nil, nil, nil, fmt.Errorf("read %s: %w", path, err)
	}
	dtype := strings.Trim(r.Header.Descr.Type, `'"`)
	ok := false
	for _, a := range accept {
		ok = ok || dtype == a
	}
	if !ok || r.Header.Descr.Fortran {
		f.Close()
		return nil, nil, nil, fmt.Errorf("read %s: dtype %s (fortran order %v), want %s in C order", path, dtype, r.Header.Descr.Fortran, accept[0])
	}
	return f, br, r.Header.Descr.Shape, nil
}

// readUint8NPY reads a uint8 array and its shape.
func readUint8NPY(path string) ([]uint8, []int, error) {
	f, br, shape, err := openNPY(path, dtypeUint8, "<u1")
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	n := 1
	for _, d := range shape {
		n *= d
	}
	data := make([]uint8, n)
	if _, err := io.ReadFull(br, data); err != nil {
		return nil, nil, fmt.Errorf("read %s: %d bytes: %w", path, n, err)
	}
	return data, shape, nil
}

// readInt32NPY reads a 1-D int32 array.
func readInt32NPY(path string) ([]int32, error) {
	f, br, shape, err := openNPY(path, dtypeInt32)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if len(shape) != 1 {
		return nil, fmt.Errorf("read %s: shape %v, want 1-D", path, shape)
	}
	raw := make([]byte, 4*shape[0])
	if _, err := io.ReadFull(br, raw); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	out := make([]int32, shape[0])
	for i := range out {
		out[i] = int32(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	return out, nil
}
