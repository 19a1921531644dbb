package fashion

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/animalcnn/animalcnn/mlpkg/dataset"
	"github.com/animalcnn/animalcnn/mlpkg/imageio"
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
	for p, split := range Splits {
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
	cfg := Config{SourceDir: src, OutDir: out, Classes: []string{"sneaker", "tshirt_top"}, PerClass: 5}
	calls := 0
	cfg.Progress = func(done, total int) { calls++ }
	s, err := Import(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if want := []ClassCount{{"sneaker", 5, 0, 0}, {"tshirt_top", 5, 0, 0}}; !slices.Equal(s.Counts, want) {
		t.Errorf("counts %+v, want %+v", s.Counts, want)
	}
	if calls != 10 {
		t.Errorf("progress called %d times", calls)
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
	s, err = Import(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if want := []ClassCount{{"sneaker", 0, 5, 0}, {"tshirt_top", 0, 5, 0}}; !slices.Equal(s.Counts, want) {
		t.Errorf("second run counts %+v, want %+v", s.Counts, want)
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
	cfg := Config{SourceDir: src, OutDir: out, Classes: []string{"sneaker", "tshirt_top"}, PerClass: 5}
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
	// Other files are not counted.
	os.WriteFile(filepath.Join(out, "sneaker", "mine.png"), nil, 0o644)
	os.WriteFile(filepath.Join(out, "sneaker", "train-1.png"), nil, 0o644)
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
		{"missing package", Config{SourceDir: filepath.Join(t.TempDir(), "none"), OutDir: t.TempDir(), Classes: DefaultClasses, PerClass: 1}, "apt-get install dataset-fashion-mnist"},
		{"unknown class", Config{SourceDir: src, OutDir: t.TempDir(), Classes: []string{"hat"}, PerClass: 1}, `unknown class "hat"`},
		{"duplicate class", Config{SourceDir: src, OutDir: t.TempDir(), Classes: []string{"bag", "bag"}, PerClass: 1}, "twice"},
		{"zero per class", Config{SourceDir: src, OutDir: t.TempDir(), Classes: DefaultClasses, PerClass: 0}, "per-class 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Import(ctx, tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err := Import(cctx, Config{SourceDir: src, OutDir: t.TempDir(), Classes: DefaultClasses, PerClass: 1})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestImportDebianFiles(t *testing.T) {
	if !Installed(DefaultSourceDir) {
		t.Skip("Debian's dataset-fashion-mnist is not installed (apt-get install dataset-fashion-mnist)")
	}
	cfg := DefaultConfig()
	cfg.OutDir = t.TempDir()
	cfg.PerClass = 200
	s, err := Import(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range s.Counts {
		if c.Class != DefaultClasses[i] || c.Written != 200 {
			t.Errorf("class %d: %+v, want 200 %s written", i, c, DefaultClasses[i])
		}
		files := listPNGs(t, filepath.Join(cfg.OutDir, c.Class))
		if len(files) != 200 {
			t.Errorf("%s: %d files", c.Class, len(files))
		}
		for _, f := range files[:5] {
			img, err := imageio.Load(filepath.Join(cfg.OutDir, c.Class, f))
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
	if _, err := os.Stat(filepath.Join(cfg.OutDir, "sandal", "train-00008.png")); err != nil {
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
	if !slices.Equal(cfg.Classes, []string{"bag", "coat"}) || cfg.PerClass != 50 || cfg.SourceDir != "/x" || cfg.OutDir != "/y" {
		t.Errorf("parsed %+v", cfg)
	}
	if !slices.Equal(DefaultClasses, []string{"sandal", "sneaker", "ankle_boot"}) || len(Classes) != 10 {
		t.Error("class lists changed")
	}
}
