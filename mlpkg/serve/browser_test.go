package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/animalcnn/animalcnn/internal/testenv"

	"github.com/animalcnn/animalcnn/mlpkg/imageio"
	"github.com/animalcnn/animalcnn/mlpkg/internal/imagetest"
	"github.com/animalcnn/animalcnn/mlpkg/serve/internal/fake"
)

// chromiumPath is Debian's Chromium, which the browser test drives.
const chromiumPath = "/usr/bin/chromium"

// browserResult is what tests/browser/serve.mjs prints.
type browserResult struct {
	JS, Drop, NoJS struct {
		Class         string             `json:"class"`
		Verdict       string             `json:"verdict"`
		Probabilities map[string]float64 `json:"probabilities"`
	}
	NoJSLang    string   `json:"nojsLang"`
	Screenshots []string `json:"screenshots"`
	Problems    []string `json:"problems"`
}

// TestBrowser serves the fake classifier on a free 127.0.0.1 port and runs
// tests/browser/serve.mjs (Playwright driving Debian's Chromium) against it:
// upload with JavaScript, drag-and-drop, and the plain form without
// JavaScript. Screenshots go to $BROWSER_SCREENSHOT_DIR when set (else a
// temporary folder). Skipped under -short, or when node, the npm packages
// (cd tests/browser && npm install) or Chromium (apt-get install chromium)
// are missing.
func TestBrowser(t *testing.T) {
	nodePath, dir := browserTools(t)

	tmp := t.TempDir()
	shotDir := os.Getenv("BROWSER_SCREENSHOT_DIR")
	if shotDir == "" {
		shotDir = tmp
	}
	upload := filepath.Join(tmp, "red-photo.png")
	dropped := filepath.Join(tmp, "blue-photo.jpg")
	redImg := solid(120, 80, red)
	for y := 0; y < 80; y++ { // a little structure, so the preview is not a flat block
		for x := 0; x < 40; x++ {
			redImg.Set(x, y, green)
		}
	}
	writeFile(t, upload, imagetest.Encode(t, "png", redImg))
	writeFile(t, dropped, imagetest.Encode(t, "jpeg", solid(90, 60, blue)))

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- Serve(ctx, ln, testConfig(), fake.New()) }()
	defer func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()

	runCtx, stop := context.WithTimeout(context.Background(), 2*time.Minute)
	defer stop()
	cmd := exec.CommandContext(runCtx, nodePath, "serve.mjs",
		"http://"+ln.Addr().String(), filepath.Join(shotDir, "serve.png"), upload, dropped)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	var res browserResult
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("serve.mjs: %v; output %q; stderr %s", runErr, stdout.String(), stderr.String())
	}
	for _, p := range res.Problems {
		t.Errorf("browser: %s", p)
	}
	if runErr != nil && len(res.Problems) == 0 {
		t.Errorf("serve.mjs: %v; stderr %s", runErr, stderr.String())
	}
	t.Logf("screenshots: %v", res.Screenshots)

	// The page shows exactly what the model said about the uploaded bytes.
	want := func(path string) map[string]float64 {
		img, err := imageio.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		probs := fake.Probabilities(img)
		m := map[string]float64{}
		for i, c := range fake.Classes {
			m[c] = float64(probs[i])
		}
		return m
	}
	check := func(name, class string, got map[string]float64, want map[string]float64, wantClass string) {
		if class != wantClass {
			t.Errorf("%s: verdict %q, want %q", name, class, wantClass)
		}
		for c, p := range want {
			if math.Abs(got[c]-p) > 1e-6 {
				t.Errorf("%s: %s shown as %v, want %v", name, c, got[c], p)
			}
		}
	}
	wantUpload := want(upload)
	check("upload with JavaScript", res.JS.Class, res.JS.Probabilities, wantUpload, "monkey")
	check("drag and drop", res.Drop.Class, res.Drop.Probabilities, want(dropped), "crow")
	check("form without JavaScript", res.NoJS.Class, res.NoJS.Probabilities, wantUpload, "monkey")
	if res.NoJSLang != "ja" {
		t.Errorf("page language for a Japanese browser: %q", res.NoJSLang)
	}
}

// browserTools skips t under -short or when node, the npm packages of
// tests/browser or Chromium are missing; else it returns node's path and
// the tests/browser folder.
func browserTools(t *testing.T) (nodePath, dir string) {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test skipped under -short")
	}
	dir = filepath.Join(repoRoot(t), "tests", "browser")
	// The Node.js kernel_setup/setup.sh --with-browser installs when the
	// machine's is too old comes first.
	nodePath = filepath.Join(repoRoot(t), ".tools", "bin", "node")
	if _, err := os.Stat(nodePath); err != nil {
		if nodePath, err = exec.LookPath("node"); err != nil {
			testenv.SkipMissing(t, "browser test skipped: node is not installed")
		}
	}
	out, err := exec.Command(nodePath, "-p", "process.versions.node.split('.')[0]").Output()
	if major, _ := strconv.Atoi(strings.TrimSpace(string(out))); err != nil || major < 20 {
		testenv.SkipMissing(t, fmt.Sprintf("browser test skipped: %s is Node.js %s; playwright-core needs 20 or newer (kernel_setup/setup.sh --with-browser installs one)", nodePath, strings.TrimSpace(string(out))))
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "playwright-core")); err != nil {
		testenv.SkipMissing(t, "browser test skipped: run `cd tests/browser && npm install` first (node_modules/playwright-core is missing)")
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		testenv.SkipMissing(t, "browser test skipped: "+chromiumPath+" is missing (apt-get install -y chromium)")
	}
	return nodePath, dir
}

// TestBrowserUploadErrors runs testdata/upload_errors.mjs (Playwright, as
// TestBrowser) against a server with a 2 KiB upload limit: a larger file is
// refused by the page's script before anything is sent, with the server's
// own message, and a request that gets no answer at all shows a sentence
// instead of the browser's "TypeError: Failed to fetch".
func TestBrowserUploadErrors(t *testing.T) {
	nodePath, dir := browserTools(t)
	cfg := testConfig()
	cfg.MaxUploadBytes = 2 << 10
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- Serve(ctx, ln, cfg, fake.New()) }()
	defer func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()
	script, err := filepath.Abs(filepath.Join("testdata", "upload_errors.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithTimeout(context.Background(), 2*time.Minute)
	defer stop()
	cmd := exec.CommandContext(runCtx, nodePath, script, dir, "http://"+ln.Addr().String(), strconv.FormatInt(cfg.MaxUploadBytes, 10))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	type shown struct{ Code, Message string }
	var res struct {
		TooLarge, Network shown
		Posted            int
		Problems          []string
	}
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("upload_errors.mjs: %v; output %q; stderr %s", runErr, stdout.String(), stderr.String())
	}
	for _, p := range res.Problems {
		t.Errorf("browser: %s", p)
	}
	server := tooLarge(cfg.MaxUploadBytes, nil).message
	if res.TooLarge != (shown{CodeBodyTooLarge, server}) || res.Posted != 1 {
		t.Errorf("too large a file: shown %+v after %d requests to /api/predict; want %q and only the second file sent",
			res.TooLarge, res.Posted, server)
	}
	if want := (shown{"network", uiTexts["en"].NetworkError}); res.Network != want {
		t.Errorf("no answer: shown %+v, want %+v", res.Network, want)
	}
}

// repoRoot is the nearest parent folder holding go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the working directory")
		}
		dir = parent
	}
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
