package fashion

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"hash/crc32"
	"image"
	"image/png"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/animalcnn/animalcnn/internal/testenv"

	"github.com/animalcnn/animalcnn/mlpkg/dataset"
	"github.com/animalcnn/animalcnn/mlpkg/imageio"
	"github.com/animalcnn/animalcnn/mlpkg/internal/allocs"
	"github.com/animalcnn/animalcnn/mlpkg/internal/dirlock"
)

// writeIdx writes a gzip idx file with the given header words and data.
func writeIdx(t *testing.T, path string, hdr []uint32, data []byte) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(f)
	binary.Write(zw, binary.BigEndian, hdr)
	zw.Write(data)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

// fakeSource writes a small Fashion-MNIST look-alike: part "train" has n
// pictures with labels i%10, "t10k" has n/2 with labels (i+3)%10. Picture i
// of a part has every pixel equal to i (train) or 200+i (t10k).
func fakeSource(t *testing.T, n int) string {
	dir := t.TempDir()
	for p, split := range splits {
		count := n
		if p == 1 {
			count = n / 2
		}
		labels := make([]byte, count)
		pix := make([]byte, count*side*side)
		for i := range count {
			labels[i] = byte((i + 3*p) % 10)
			for j := range side * side {
				pix[i*side*side+j] = byte(200*p + i)
			}
		}
		writeIdx(t, filepath.Join(dir, split+"-labels-idx1-ubyte.gz"), []uint32{labelMagic, uint32(count)}, labels)
		writeIdx(t, filepath.Join(dir, split+"-images-idx3-ubyte.gz"), []uint32{imageMagic, uint32(count), side, side}, pix)
	}
	return dir
}

func listPNGs(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.png"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range m {
		m[i] = filepath.Base(m[i])
	}
	return m
}

func TestImportFake(t *testing.T) {
	src := fakeSource(t, 40) // train: 4 per class; t10k: 2 per class
	out := t.TempDir()
	cfg := Config{SourceDir: src, ImagesDir: out, Classes: []string{"sneaker", "tshirt_top"}, PerClass: 5}
	var calls [][2]int
	cfg.Progress = func(done, total int) { calls = append(calls, [2]int{done, total}) }
	s, err := Import(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if want := []ClassCount{{"sneaker", 5, 0, 0}, {"tshirt_top", 5, 0, 0}}; !slices.Equal(s.Counts, want) {
		t.Errorf("counts %+v, want %+v", s.Counts, want)
	}
	if want := [][2]int{{1, 10}, {2, 10}, {3, 10}, {4, 10}, {5, 10}, {6, 10}, {7, 10}, {8, 10}, {9, 10}, {10, 10}}; !slices.Equal(calls, want) {
		t.Errorf("progress %v, want %v", calls, want)
	}
	// Written as a picture is meant to be: readable by all.
	if st, err := os.Stat(filepath.Join(out, "sneaker", "train-00007.png")); err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("train-00007.png: %v, %v; want mode 0644", st.Mode(), err)
	}
	// sneaker is label 7: train 7, 17, 27, 37, then t10k i with (i+3)%10 == 7 → 4.
	if got, want := listPNGs(t, filepath.Join(out, "sneaker")), []string{"t10k-00004.png", "train-00007.png", "train-00017.png", "train-00027.png", "train-00037.png"}; !slices.Equal(got, want) {
		t.Errorf("sneaker files %v, want %v", got, want)
	}
	img, err := imageio.Load(filepath.Join(out, "sneaker", "train-00017.png"))
	if err != nil {
		t.Fatal(err)
	}
	g, ok := img.(*image.Gray)
	if !ok || g.Bounds().Dx() != 28 || g.Pix[100] != 17 {
		t.Errorf("train-00017.png: %T %v", img, img.Bounds())
	}
	if img, _ := imageio.Load(filepath.Join(out, "sneaker", "t10k-00004.png")); img.(*image.Gray).Pix[0] != 204 {
		t.Error("t10k-00004.png has the wrong picture")
	}
	// Idempotent: a second run writes nothing and keeps changed pictures.
	white := image.NewGray(image.Rect(0, 0, 28, 28))
	for i := range white.Pix {
		white.Pix[i] = 255
	}
	var changed bytes.Buffer
	png.Encode(&changed, white)
	os.WriteFile(filepath.Join(out, "sneaker", "train-00007.png"), changed.Bytes(), 0o644)
	calls = nil
	s, err = Import(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if want := []ClassCount{{"sneaker", 0, 5, 0}, {"tshirt_top", 0, 5, 0}}; !slices.Equal(s.Counts, want) {
		t.Errorf("second run counts %+v, want %+v", s.Counts, want)
	}
	// Once per part for the pictures already there: 8 of train, 2 of t10k.
	if want := [][2]int{{8, 10}, {10, 10}}; !slices.Equal(calls, want) {
		t.Errorf("second run progress %v, want %v", calls, want)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "sneaker", "train-00007.png")); !bytes.Equal(b, changed.Bytes()) {
		t.Error("existing picture rewritten")
	}
	// A deleted file is written again.
	os.Remove(filepath.Join(out, "tshirt_top", "train-00010.png"))
	if s, err = Import(context.Background(), cfg); err != nil || s.Counts[1].Written != 1 {
		t.Errorf("after deleting one: %+v, %v", s, err)
	}
	// A file that is no whole picture, as a crash before Import synced it
	// may leave, is written again; so is a temporary file of a killed run
	// removed.
	good, _ := os.ReadFile(filepath.Join(out, "sneaker", "train-00017.png"))
	os.WriteFile(filepath.Join(out, "sneaker", "train-00017.png"), nil, 0o644)
	os.WriteFile(filepath.Join(out, "sneaker", "train-00027.png"), good[:len(good)/2], 0o644)
	killed := filepath.Join(out, "sneaker", ".fashion-123.tmp")
	os.WriteFile(killed, good[:10], 0o644)
	// While another import (or a crawl) writes the folder, an import is
	// refused at once, and removes nothing.
	unlock, err := dirlock.Lock(out, dataset.ImagesLockFile, "a test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Import(context.Background(), cfg); !errors.Is(err, dirlock.ErrBusy) {
		t.Errorf("import into a folder being written: %v, want dirlock.ErrBusy", err)
	}
	if _, err := os.Stat(killed); err != nil {
		t.Errorf("the refused import removed a temporary file: %v", err)
	}
	unlock()
	if s, err = Import(context.Background(), cfg); err != nil || s.Counts[0].Written != 2 {
		t.Errorf("after damaging two: %+v, %v", s, err)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "sneaker", "train-00017.png")); !bytes.Equal(b, good) {
		t.Error("empty picture not written again")
	}
	// No temporary files left.
	if m, _ := filepath.Glob(filepath.Join(out, "*", ".*")); len(m) > 0 {
		t.Errorf("temporary files left: %v", m)
	}
	// Asking for more than the source holds is an error.
	cfg.PerClass = 7
	if _, err := Import(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "only 6") {
		t.Errorf("too many: %v", err)
	}
}

func TestImportReportsEarlierPictures(t *testing.T) {
	src := fakeSource(t, 40)
	out := t.TempDir()
	cfg := Config{SourceDir: src, ImagesDir: out, Classes: []string{"sneaker", "tshirt_top"}, PerClass: 5}
	if _, err := Import(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	// Fewer per class: nothing to write, and the two more of each class
	// from the first import are still there, which prepare would use.
	cfg.PerClass = 3
	s, err := Import(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if want := []ClassCount{{"sneaker", 0, 3, 2}, {"tshirt_top", 0, 3, 2}}; !slices.Equal(s.Counts, want) {
		t.Errorf("counts %+v, want %+v", s.Counts, want)
	}
	if !strings.Contains(s.String(), "4 more pictures from an earlier import") || !strings.Contains(s.String(), "2 in "+filepath.Join(out, "sneaker")) {
		t.Errorf("summary does not say so:\n%s", s)
	}
	// Other files are not counted, even with names close to a picture's.
	for _, name := range []string{"mine.png", "train-1.png", "train-00001", "train-00001.jpg", "test-00001.png", "train-000001.png", "train-0000a.png", "t10k-00x01.png"} {
		os.WriteFile(filepath.Join(out, "sneaker", name), nil, 0o644)
	}
	if s, err := Import(context.Background(), cfg); err != nil || s.Counts[0].Earlier != 2 {
		t.Errorf("with other files: %+v, %v", s, err)
	}
	cfg.PerClass = 5
	if s, err := Import(context.Background(), cfg); err != nil || s.Counts[0].Earlier != 0 || strings.Contains(s.String(), "earlier") {
		t.Errorf("all asked for again: %+v, %v", s, err)
	}
}

func TestImportErrors(t *testing.T) {
	src := fakeSource(t, 20)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"missing package", Config{SourceDir: filepath.Join(t.TempDir(), "none"), ImagesDir: t.TempDir(), Classes: DefaultClasses(), PerClass: 1}, "apt-get install dataset-fashion-mnist"},
		{"unknown class", Config{SourceDir: src, ImagesDir: t.TempDir(), Classes: []string{"hat"}, PerClass: 1}, `unknown class "hat"`},
		{"duplicate class", Config{SourceDir: src, ImagesDir: t.TempDir(), Classes: []string{"bag", "bag"}, PerClass: 1}, "twice"},
		{"zero per class", Config{SourceDir: src, ImagesDir: t.TempDir(), Classes: DefaultClasses(), PerClass: 0}, "per class must be in 1..7000, got 0"},
		{"too many per class", Config{SourceDir: src, ImagesDir: t.TempDir(), Classes: DefaultClasses(), PerClass: MaxPerClass + 1}, "per class must be in 1..7000, got 7001"},
		// MaxPerClass itself is allowed; the small source does not hold as many.
		{"MaxPerClass", Config{SourceDir: src, ImagesDir: t.TempDir(), Classes: DefaultClasses(), PerClass: MaxPerClass}, `only 3 pictures of class "sandal"`},
		{"no classes", Config{SourceDir: src, ImagesDir: t.TempDir(), PerClass: 1}, "no classes given"},
		{"no output folder", Config{SourceDir: src, Classes: DefaultClasses(), PerClass: 1}, "no output folder given"},
		{"no source folder", Config{ImagesDir: t.TempDir(), Classes: DefaultClasses(), PerClass: 1}, "no source folder given (Debian's is /usr/share/datasets/fashion-mnist)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Import(ctx, tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
	// A missing source names the file it looked for once, and stays an
	// fs.ErrNotExist.
	none := filepath.Join(t.TempDir(), "none")
	_, err := Import(ctx, Config{SourceDir: none, ImagesDir: t.TempDir(), Classes: DefaultClasses(), PerClass: 1})
	if !errors.Is(err, fs.ErrNotExist) || strings.Count(fmt.Sprint(err), none) != 1 {
		t.Errorf("missing source: %v, want fs.ErrNotExist naming %s once", err, none)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = Import(cctx, Config{SourceDir: src, ImagesDir: t.TempDir(), Classes: DefaultClasses(), PerClass: 1})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestImportDebianFiles(t *testing.T) {
	if !Installed(DefaultSourceDir) {
		testenv.SkipMissing(t, "Debian's dataset-fashion-mnist is not installed (apt-get install dataset-fashion-mnist)")
	}
	cfg := DefaultConfig()
	cfg.ImagesDir = t.TempDir()
	cfg.PerClass = 200
	s, err := Import(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range s.Counts {
		if c.Class != DefaultClasses()[i] || c.Written != 200 {
			t.Errorf("class %d: %+v, want 200 %s written", i, c, DefaultClasses()[i])
		}
		files := listPNGs(t, filepath.Join(cfg.ImagesDir, c.Class))
		if len(files) != 200 {
			t.Errorf("%s: %d files", c.Class, len(files))
		}
		for _, f := range files[:5] {
			img, err := imageio.Load(filepath.Join(cfg.ImagesDir, c.Class, f))
			if err != nil {
				t.Fatal(err)
			}
			if b := img.Bounds(); b.Dx() != 28 || b.Dy() != 28 {
				t.Errorf("%s/%s is %v", c.Class, f, b)
			}
			// A real picture: dark background corner, something bright.
			g := img.(*image.Gray)
			if g.Pix[0] > 30 || slices.Max(g.Pix) < 100 {
				t.Errorf("%s/%s does not look like a Fashion-MNIST picture", c.Class, f)
			}
		}
	}
	// Label 5 (sandal) pictures of the training part: the first is index 8
	// in Fashion-MNIST's published order (labels start 9 0 0 3 0 2 7 2 5 5).
	if _, err := os.Stat(filepath.Join(cfg.ImagesDir, "sandal", "train-00008.png")); err != nil {
		t.Errorf("first sandal picture: %v", err)
	}
}

func TestConfigFlags(t *testing.T) {
	cfg := DefaultConfig()
	fs := flag.NewFlagSet("import-fashion", flag.ContinueOnError)
	cfg.RegisterFlags(fs)
	if f := fs.Lookup("classes"); f == nil || f.DefValue != "sandal,sneaker,ankle_boot" {
		t.Errorf("classes flag %+v", f)
	}
	if err := fs.Parse([]string{"-classes", "bag,coat", "-per-class", "50", "-src", "/x", "-images", "/y"}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.Classes, []string{"bag", "coat"}) || cfg.PerClass != 50 || cfg.SourceDir != "/x" || cfg.ImagesDir != "/y" {
		t.Errorf("parsed %+v", cfg)
	}
	if !slices.Equal(DefaultClasses(), []string{"sandal", "sneaker", "ankle_boot"}) || len(Classes()) != 10 {
		t.Error("class lists changed")
	}
}

// TestImportDamagedSource: idx files that are not what they should be are
// errors that name the problem, not pictures made of the wrong bytes.
func TestImportDamagedSource(t *testing.T) {
	labels := make([]byte, 20)
	for i := range labels {
		labels[i] = byte(i % 10)
	}
	pix := make([]byte, 20*side*side)
	for _, c := range []struct {
		name   string
		file   string // of part train, replaced
		hdr    []uint32
		data   []byte
		want   string
		gzipOK bool
	}{
		{"label magic", "labels-idx1", []uint32{imageMagic, 20}, labels, "not an idx1 label file (magic 0x803, 20 items)", true},
		{"label count", "labels-idx1", []uint32{labelMagic, 1_000_001}, labels, "not an idx1 label file (magic 0x801, 1000001 items)", true},
		{"labels cut short", "labels-idx1", []uint32{labelMagic, 21}, labels, "unexpected EOF", true},
		{"label 10", "labels-idx1", []uint32{labelMagic, 21}, append(slices.Clone(labels), 10), "label 10 of item 20 out of range", true},
		{"image magic", "images-idx3", []uint32{labelMagic, 20, side, side}, pix, "not a 28×28 idx3 image file (magic 0x801, 28×28)", true},
		{"image width", "images-idx3", []uint32{imageMagic, 20, side, side - 1}, pix, "not a 28×28 idx3 image file (magic 0x803, 28×27)", true},
		{"image height", "images-idx3", []uint32{imageMagic, 20, side - 1, side}, pix, "not a 28×28 idx3 image file (magic 0x803, 27×28)", true},
		{"image count", "images-idx3", []uint32{imageMagic, 21, side, side}, pix, "21 images for 20 labels", true},
		{"images cut short", "images-idx3", []uint32{imageMagic, 20, side, side}, pix[:5*side*side+10], "image 5: unexpected EOF", true},
		{"not gzip", "images-idx3", nil, nil, "gzip: invalid header", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := fakeSource(t, 20)
			path := filepath.Join(src, "train-"+c.file+"-ubyte.gz")
			if c.gzipOK {
				writeIdx(t, path, c.hdr, c.data)
			} else if err := os.WriteFile(path, []byte("not a gzip file at all"), 0o644); err != nil {
				t.Fatal(err)
			}
			// Every picture of label 5 (sandal): train 5 and 15, then t10k 2.
			_, err := Import(context.Background(), Config{SourceDir: src, ImagesDir: t.TempDir(), Classes: []string{"sandal"}, PerClass: 3})
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("err = %v, want %q about %s", err, c.want, path)
			}
		})
	}
}

// TestImportReadsOnlyWhatItNeeds: the images of a part are read up to the
// last picture chosen, and a part not needed is not read at all (here both
// are damaged past what is needed).
func TestImportReadsOnlyWhatItNeeds(t *testing.T) {
	src := fakeSource(t, 40)
	// Train holds 4 per class: sneaker (7) and tshirt_top (0) need pictures
	// up to index 37; the file ends after picture 37 of 40.
	pix := make([]byte, 38*side*side)
	for i := range 38 {
		for j := range side * side {
			pix[i*side*side+j] = byte(i)
		}
	}
	writeIdx(t, filepath.Join(src, "train-images-idx3-ubyte.gz"), []uint32{imageMagic, 40, side, side}, pix)
	for _, kind := range []string{"images-idx3", "labels-idx1"} {
		if err := os.WriteFile(filepath.Join(src, "t10k-"+kind+"-ubyte.gz"), []byte("not a gzip file at all"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := t.TempDir()
	s, err := Import(context.Background(), Config{SourceDir: src, ImagesDir: out, Classes: []string{"sneaker", "tshirt_top"}, PerClass: 4})
	if err != nil {
		t.Fatal(err)
	}
	if want := []ClassCount{{"sneaker", 4, 0, 0}, {"tshirt_top", 4, 0, 0}}; !slices.Equal(s.Counts, want) {
		t.Errorf("counts %+v, want %+v", s.Counts, want)
	}
	if got, want := listPNGs(t, filepath.Join(out, "sneaker")), []string{"train-00007.png", "train-00017.png", "train-00027.png", "train-00037.png"}; !slices.Equal(got, want) {
		t.Errorf("sneaker files %v, want %v", got, want)
	}
}

// TestImportWriteFailureLeavesNoTemporaryFile: a picture that cannot be
// renamed into place (a folder has its name) fails the import, naming it,
// and its temporary file is removed.
func TestImportWriteFailureLeavesNoTemporaryFile(t *testing.T) {
	src := fakeSource(t, 40)
	out := t.TempDir()
	blocker := filepath.Join(out, "sneaker", "train-00017.png")
	if err := os.MkdirAll(filepath.Join(blocker, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := Import(context.Background(), Config{SourceDir: src, ImagesDir: out, Classes: []string{"sneaker"}, PerClass: 3})
	if err == nil || !strings.Contains(err.Error(), "write "+blocker) {
		t.Errorf("err = %v, want a write error for %s", err, blocker)
	}
	if m, _ := filepath.Glob(filepath.Join(out, "sneaker", tmpPattern)); len(m) > 0 {
		t.Errorf("temporary files left: %v", m)
	}
	// The picture before it was written and kept.
	if !readablePNG(filepath.Join(out, "sneaker", "train-00007.png")) {
		t.Error("train-00007.png not written")
	}
}

func TestInstalled(t *testing.T) {
	src := fakeSource(t, 20)
	if !Installed(src) {
		t.Error("Installed = false with the four files")
	}
	for _, name := range []string{"train-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if Installed(dir) {
			t.Errorf("Installed = true with only %s", name)
		}
	}
	if Installed(filepath.Join(t.TempDir(), "none")) {
		t.Error("Installed = true for a missing folder")
	}
}

func TestSummaryString(t *testing.T) {
	s := &Summary{ImagesDir: "/o", Counts: []ClassCount{{"sandal", 3, 997, 0}, {"ankle_boot", 0, 1000, 20}, {"sneaker", 1000, 0, 0}}}
	want := "sandal           3 written,   997 already there\n" +
		"ankle_boot       0 written,  1000 already there\n" +
		"sneaker       1000 written,     0 already there\n" +
		"pictures in /o\n" +
		"20 more pictures from an earlier import are still there (20 in /o/ankle_boot), and prepare uses them too; to use only the pictures of this import, delete those folders and import again\n"
	if got := s.String(); got != want {
		t.Errorf("String() =\n%s\nwant\n%s", got, want)
	}
}

// TestDefaultConfigOwnsItsClasses: changing a default Config's classes, or
// the slices Classes and DefaultClasses return, changes no later answer.
func TestDefaultConfigOwnsItsClasses(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Classes[0] = "bag"
	DefaultClasses()[1] = "bag"
	Classes()[0] = "bag"
	if !slices.Equal(DefaultClasses(), []string{"sandal", "sneaker", "ankle_boot"}) || DefaultConfig().Classes[0] != "sandal" {
		t.Errorf("DefaultClasses() %v, DefaultConfig().Classes %v after changing returned slices", DefaultClasses(), DefaultConfig().Classes)
	}
	if Classes()[0] != "tshirt_top" || !IsClass("bag") || IsClass("Sandal") {
		t.Errorf("Classes() %v after changing a returned slice; IsClass(bag) %v, IsClass(Sandal) %v", Classes(), IsClass("bag"), IsClass("Sandal"))
	}
}

// TestReadablePNGTrustsNoHeader: a file whose PNG header claims 30000×30000
// pixels (a few dozen bytes) is not decoded, which would take 3.6 GB, but
// written again, like a picture of any other size than Import's 28×28.
func TestReadablePNGTrustsNoHeader(t *testing.T) {
	dir := t.TempDir()
	bomb := filepath.Join(dir, "train-00000.png")
	if err := os.WriteFile(bomb, pngHeader(30000, 30000), 0o644); err != nil {
		t.Fatal(err)
	}
	var ok bool
	if n := allocs.Bytes(func() { ok = readablePNG(bomb) }); ok || n > 1<<20 {
		t.Errorf("a 30000×30000 PNG header: readable %v, %d bytes allocated", ok, n)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, side+1, side))); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "train-00001.png")
	if err := os.WriteFile(other, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if readablePNG(other) {
		t.Error("a 29×28 picture is taken for one of Import's")
	}
}

// pngChunk returns a PNG chunk of the given type and data, with its CRC.
func pngChunk(typ string, data []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	b = append(b, typ...)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(append([]byte(typ), data...)))
}

// pngHeader returns the start of a PNG of the given size (8-bit RGBA) whose
// compressed data stops after its zlib header: a few dozen bytes that
// claim width×height×4 bytes of pixels.
func pngHeader(width, height uint32) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, width)
	ihdr = binary.BigEndian.AppendUint32(ihdr, height)
	ihdr = append(ihdr, 8, 6, 0, 0, 0)
	b := append([]byte("\x89PNG\r\n\x1a\n"), pngChunk("IHDR", ihdr)...)
	return append(b, pngChunk("IDAT", []byte{0x78, 0x9c})...)
}

// TestImportLogsToConfigLogger: Import's closing line goes to
// Config.Logger, not to slog's default logger, when it is set.
func TestImportLogsToConfigLogger(t *testing.T) {
	var def, own bytes.Buffer
	defer slog.SetDefault(slog.Default())
	slog.SetDefault(slog.New(slog.NewTextHandler(&def, nil)))
	cfg := Config{SourceDir: fakeSource(t, 40), ImagesDir: t.TempDir(), Classes: []string{"sneaker"}, PerClass: 2,
		Logger: slog.New(slog.NewTextHandler(&own, nil))}
	if _, err := Import(t.Context(), cfg); err != nil {
		t.Fatal(err)
	}
	if want := "import fashion-mnist: done"; !strings.Contains(own.String(), want) {
		t.Errorf("Config.Logger got %q, want a line %q", own.String(), want)
	}
	if def.Len() > 0 {
		t.Errorf("slog's default logger got %q", def.String())
	}
}
