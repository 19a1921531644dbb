package main

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/animalcnn/animalcnn/mlpkg/crawl"
	"github.com/animalcnn/animalcnn/mlpkg/crawl/flickrtest"
)

// runCaptured runs the CLI in-process with os.Stdout and os.Stderr redirected
// and returns the exit code and both outputs.
func runCaptured(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	dir := t.TempDir()
	outF, err := os.Create(filepath.Join(dir, "stdout"))
	if err != nil {
		t.Fatal(err)
	}
	errF, err := os.Create(filepath.Join(dir, "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	oldOut, oldErr := os.Stdout, os.Stderr
	os.Stdout, os.Stderr = outF, errF
	defer func() { os.Stdout, os.Stderr = oldOut, oldErr }()
	code = run(args)
	outF.Close()
	errF.Close()
	o, _ := os.ReadFile(outF.Name())
	e, _ := os.ReadFile(errF.Name())
	return code, string(o), string(e)
}

func TestCrawlWithoutKey(t *testing.T) {
	t.Setenv(crawl.APIKeyEnv, "")
	out := filepath.Join(t.TempDir(), "images")
	code, stdout, stderr := runCaptured(t, "crawl", "-out", out)
	if code == 0 {
		t.Errorf("exit code 0 without a key")
	}
	if strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "animalcnn crawl: no Flickr API key: set "+crawl.APIKeyEnv) ||
		!strings.Contains(stderr, "https://www.flickr.com/services/apps/create") {
		t.Errorf("stderr %q, want the one-line error saying how to get a key", stderr)
	}
	if stdout != "" {
		t.Errorf("stdout %q", stdout)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("output folder created without a key")
	}
}

func TestCrawlHelpListsEveryFlag(t *testing.T) {
	code, _, stderr := runCaptured(t, "crawl", "-h")
	if code != 0 {
		t.Errorf("exit code %d", code)
	}
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	cfg := crawl.DefaultConfig()
	cfg.RegisterFlags(fs)
	fs.Bool("quiet", false, "")
	fs.Bool("v", false, "")
	fs.VisitAll(func(f *flag.Flag) {
		documented := false
		for _, sep := range []string{" ", "\n", "\t"} {
			documented = documented || strings.Contains(stderr, "  -"+f.Name+sep)
		}
		if !documented {
			t.Errorf("-h does not document -%s:\n%s", f.Name, stderr)
		}
	})
	if !strings.Contains(stderr, "usage: animalcnn crawl") {
		t.Errorf("no usage line:\n%s", stderr)
	}
}

func TestCrawlAndAttributionAgainstStandIn(t *testing.T) {
	fake := flickrtest.Demo(4)
	apiURL, stop := fake.Start()
	defer stop()
	t.Setenv(crawl.APIKeyEnv, flickrtest.DemoKey)
	out := filepath.Join(t.TempDir(), "images")
	code, stdout, stderr := runCaptured(t, "crawl", "-api-url", apiURL, "-out", out, "-classes", "monkey,boar=wild boar",
		"-per-class", "3", "-interval", "0", "-timeout", "5s")
	if code != 0 {
		t.Fatalf("exit code %d, stderr %q", code, stderr)
	}
	if strings.Contains(stdout+stderr, flickrtest.DemoKey) {
		t.Error("the key was printed")
	}
	for _, class := range []string{"monkey", "boar"} {
		if !strings.Contains(stdout, class+": 3/3 photos") {
			t.Errorf("stdout lacks %s's summary:\n%s", class, stdout)
		}
		images, err := crawl.ListImages(filepath.Join(out, class))
		if err != nil || len(images) != 3 {
			t.Errorf("%s: %v %v", class, images, err)
		}
	}
	credits := filepath.Join(t.TempDir(), "CREDITS.md")
	if code, _, stderr := runCaptured(t, "attribution", "-images", out, "-o", credits); code != 0 {
		t.Fatalf("attribution: exit code %d, stderr %q", code, stderr)
	}
	b, err := os.ReadFile(credits)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "## boar (3 photos)") || !strings.Contains(string(b), "Stand-in photographer") {
		t.Errorf("credits:\n%s", b)
	}
}
