package main

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/animalcnn/animalcnn/mlpkg/crawl"
	"github.com/animalcnn/animalcnn/mlpkg/crawl/flickrtest"
	"github.com/animalcnn/animalcnn/mlpkg/dataset"
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
	code, stdout, stderr := runCaptured(t, "crawl", "-images", out)
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

// "-license CC" is the "cc" of Creative Commons, whatever its case: the
// crawl goes on to ask for the key.
func TestCrawlLicenseCase(t *testing.T) {
	t.Setenv(crawl.APIKeyEnv, "")
	code, _, stderr := runCaptured(t, "crawl", "-images", filepath.Join(t.TempDir(), "images"), "-license", "CC")
	if code != 1 || !strings.Contains(stderr, "no Flickr API key") {
		t.Errorf("crawl -license CC: exit %d, stderr %q, want the missing key's error", code, stderr)
	}
}

// A zero typed on the command line is refused, not read as a default
// (-per-class 0 is not 400 photos per class, -safe-search 0 not 1).
func TestCrawlRefusesTypedZero(t *testing.T) {
	t.Setenv(crawl.APIKeyEnv, "k")
	for name, want := range map[string]string{
		"per-class":   "per-class must be at least 1, got 0",
		"concurrency": "concurrency must be at least 1, got 0",
		"timeout":     "timeout must be positive, got 0s",
		"safe-search": "safe-search must be 1, 2 or 3, got 0",
	} {
		out := filepath.Join(t.TempDir(), "images")
		code, _, stderr := runCaptured(t, "crawl", "-images", out, "-"+name, "0")
		if code == 0 || !strings.Contains(stderr, want) {
			t.Errorf("-%s 0: exit %d, stderr %q, want %q", name, code, stderr, want)
		}
	}
}

func TestCrawlHelpListsEveryFlag(t *testing.T) {
	code, help, _ := runCaptured(t, "crawl", "-h") // on standard output
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
			documented = documented || strings.Contains(help, "  -"+f.Name+sep)
		}
		if !documented {
			t.Errorf("-h does not document -%s:\n%s", f.Name, help)
		}
	})
	if !strings.Contains(help, "usage: animalcnn crawl") {
		t.Errorf("no usage line:\n%s", help)
	}
	// One request per second unless told otherwise.
	if !regexp.MustCompile(`(?m)^  -interval duration\n.*\(default 1s\)$`).MatchString(help) {
		t.Errorf("-h does not show -interval's default of 1s:\n%s", help)
	}
}

func TestCrawlAndAttributionAgainstStandIn(t *testing.T) {
	fake := flickrtest.Demo(4)
	apiURL, stop := fake.Start()
	defer stop()
	t.Setenv(crawl.APIKeyEnv, flickrtest.DemoKey)
	out := filepath.Join(t.TempDir(), "images")
	code, stdout, stderr := runCaptured(t, "crawl", "-api-url", apiURL, "-images", out, "-classes", "monkey,boar=wild boar",
		"-per-class", "3", "-interval", "0", "-timeout", "5s")
	if code != 0 {
		t.Fatalf("exit code %d, stderr %q", code, stderr)
	}
	if strings.Contains(stdout+stderr, flickrtest.DemoKey) {
		t.Error("the key was printed")
	}
	if stderr != "" {
		t.Errorf("stderr without -v: %q, want nothing", stderr)
	}
	// Without a terminal, -log-every prints progress lines.
	more := filepath.Join(t.TempDir(), "images")
	code, _, stderr = runCaptured(t, "crawl", "-api-url", apiURL, "-images", more, "-classes", "monkey",
		"-per-class", "2", "-interval", "0", "-timeout", "5s", "-log-every", "1ns")
	if code != 0 || !regexp.MustCompile(`(?m)^crawl monkey: [12]/2 photos kept, 0 discarded$`).MatchString(stderr) {
		t.Errorf("crawl -log-every 1ns: exit %d, stderr %q, want progress lines", code, stderr)
	}
	for _, class := range []string{"monkey", "boar"} {
		if !strings.Contains(stdout, class+": 3/3 photos") {
			t.Errorf("stdout lacks %s's summary:\n%s", class, stdout)
		}
		images, err := dataset.ClassFiles(filepath.Join(out, class))
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
	// A mistake (a misspelt class) leaves the credits file as it was.
	if code, _, stderr := runCaptured(t, "attribution", "-images", out, "-classes", "monky", "-o", credits); code != 1 || !strings.Contains(stderr, "monky") {
		t.Errorf("attribution of a misspelt class: exit %d, stderr %q", code, stderr)
	}
	if after, err := os.ReadFile(credits); err != nil || !bytes.Equal(after, b) {
		t.Errorf("the failed attribution changed %s: %d bytes, %v", credits, len(after), err)
	}
}

// A rerun with a narrower -license says how many photos of the folder are
// under licenses outside it (left there, not counted) besides its summary.
func TestCrawlNarrowerLicense(t *testing.T) {
	fake := flickrtest.New()
	for _, lic := range []string{"0", "4", "0", "5", "9"} {
		fake.Add("monkey", flickrtest.Photo{License: lic})
	}
	apiURL, stop := fake.Start()
	defer stop()
	t.Setenv(crawl.APIKeyEnv, "any-key")
	out := filepath.Join(t.TempDir(), "images")
	args := []string{"crawl", "-api-url", apiURL, "-images", out, "-classes", "monkey", "-per-class", "3", "-interval", "0", "-concurrency", "1"}
	if code, _, stderr := runCaptured(t, args...); code != 0 {
		t.Fatalf("exit code %d, stderr %q", code, stderr)
	}
	code, stdout, stderr := runCaptured(t, append(args, "-license", "cc")...)
	if code != 0 {
		t.Fatalf("exit code %d, stderr %q", code, stderr)
	}
	for _, want := range []string{
		"monkey: 3/3 photos in " + filepath.Join(out, "monkey") + " (2 downloaded, 1 already there, 0 recovered)",
		"  2 more in the folder under licenses outside -license (not counted: topped up with photos of the licenses asked for; " +
			"still used for training unless deleted or listed in exclude.txt)\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stderr, "licenses outside the license filter") {
		t.Errorf("stderr %q, want the warning", stderr)
	}
}

// A crawl that Flickr rate-limits for longer than the crawler waits stops,
// still prints what each class holds, and says to rerun later.
func TestCrawlRateLimited(t *testing.T) {
	fake := flickrtest.New()
	photos := fake.AddGenerated("monkey", 5)
	fake.FailPhoto(photos[2].ID, flickrtest.Fault{Status: 429, RetryAfter: "3600"})
	apiURL, stop := fake.Start()
	defer stop()
	t.Setenv(crawl.APIKeyEnv, "any-key")
	out := filepath.Join(t.TempDir(), "images")
	code, stdout, stderr := runCaptured(t, "crawl", "-api-url", apiURL, "-images", out, "-classes", "monkey",
		"-per-class", "5", "-interval", "0", "-concurrency", "1")
	if code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}
	if !strings.Contains(stdout, "monkey: 2/5 photos in "+filepath.Join(out, "monkey")) {
		t.Errorf("stdout lacks the class's line with its 2 photos kept:\n%s", stdout)
	}
	if !strings.HasPrefix(stderr, "animalcnn crawl: ") || !strings.Contains(stderr, "rate limited by Flickr") || !strings.Contains(stderr, "rerun later to resume") {
		t.Errorf("stderr %q, want the rate limit and to rerun later", stderr)
	}
}

// Ctrl-C stops a crawl cleanly: the photos kept are printed per class, and
// the error says they stay and to rerun the same command.
func TestCrawlInterrupted(t *testing.T) {
	fake := flickrtest.New()
	photos := fake.AddGenerated("monkey", 5)
	fake.FailPhoto(photos[2].ID, flickrtest.Fault{Hang: true})
	apiURL, stop := fake.Start()
	defer stop()
	dir := t.TempDir()
	cmd := exec.Command(binary, "crawl", "-api-url", apiURL, "-images", "images", "-classes", "monkey",
		"-per-class", "5", "-interval", "0", "-concurrency", "1")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), crawl.APIKeyEnv+"=any-key")
	var o, e strings.Builder
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill() //nolint:errcheck
	// Interrupt while the third photo's download hangs.
	for deadline := time.Now().Add(30 * time.Second); fake.PhotoRequests()[photos[2].ID] == 0; {
		if time.Now().After(deadline) {
			t.Fatalf("the crawl never asked for the third photo\n%s%s", o.String(), e.String())
		}
		time.Sleep(10 * time.Millisecond) // poll interval
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitInterrupted {
		t.Errorf("exit %v, want code %d (interrupted)", err, exitInterrupted)
	}
	stdout, stderr := o.String(), e.String()
	if !strings.Contains(stdout, "monkey: 2/5 photos in images/monkey") {
		t.Errorf("stdout lacks the class's line with its 2 photos kept:\n%s", stdout)
	}
	if !strings.Contains(stderr, "animalcnn crawl: interrupted: complete photos are kept; rerun the same command to resume") {
		t.Errorf("stderr %q, want to rerun to resume", stderr)
	}
}

// A class short of photos is explained from the report's counts: the
// 4,000-result cap and the photos without the size, not Flickr's total as
// "only N results", and a smaller size, not a larger one.
func TestCrawlReportExplainsShortfall(t *testing.T) {
	capped := crawl.ClassReport{Class: "monkey", Query: "monkey", Wanted: 400, Kept: 250, Results: 4000, SearchTotal: 12000,
		Skipped: 3700, NoSize: 3600, Exhausted: true,
		Rejected: []crawl.Rejection{{Reason: crawl.ReasonDuplicate}, {Reason: crawl.ReasonOtherClass}, {Reason: crawl.ReasonFailed}}, Failed: 1}
	failed := crawl.ClassReport{Class: "crow", Query: "crow", Wanted: 400, Kept: 390, Results: 500, SearchTotal: 900,
		Rejected: []crawl.Rejection{{Reason: crawl.ReasonFailed}}, Failed: 10}
	full := crawl.ClassReport{Class: "boar", Query: "wild boar", Wanted: 400, Kept: 400, Results: 420, SearchTotal: 420}
	var out bytes.Buffer
	printCrawlReport(&out, &crawl.Report{Classes: []crawl.ClassReport{capped, failed, full}}, "q", false)
	s := out.String()
	for _, want := range []string{
		`search results for "monkey" used up: 4000 met (Flickr lists 12000 but returns only the first 4000 of a search)`,
		"100 skipped (excluded, deleted or discarded in earlier runs), 3600 without a q-size image (too small or too old for it)",
		"1 already in another class, 1 discarded; try another search text (-classes monkey=...) or a smaller -size",
		"1 downloads failed",
		"10 downloads failed (server or network errors): rerun the same command to try them again",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("report lacks %q:\n%s", want, s)
		}
	}
	for _, bad := range []string{"larger", "only 12000 results", "only 900 results"} {
		if strings.Contains(s, bad) {
			t.Errorf("report says %q:\n%s", bad, s)
		}
	}
	if strings.Count(s, "\n") != 6 {
		t.Errorf("want 3 summary lines and 3 explanations:\n%s", s)
	}
}
