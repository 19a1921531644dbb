package crawl

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/animalcnn/animalcnn/mlpkg/crawl/flickrtest"
	"github.com/animalcnn/animalcnn/mlpkg/dataset"
)

// "-license cc" takes every Creative Commons license of Flickr's license
// list (CC 4.0 included), asked for once per run, and each kept photo's
// manifest entry names its license as that list does.
func TestCCLicensesFromFlickr(t *testing.T) {
	for _, strs := range []bool{false, true} {
		t.Run(map[bool]string{false: "numbers", true: "strings"}[strs], func(t *testing.T) {
			f := newFixture(t)
			f.fake.NumbersAsStrings = strs
			for _, lic := range []string{"4", "11", "0", "7", "16", "10", "8", "9"} {
				f.fake.Add("monkey", flickrtest.Photo{License: lic, Title: "license " + lic})
			}
			f.fake.Add("crow", flickrtest.Photo{License: "12"}, flickrtest.Photo{License: "1"})
			f.cfg.Classes = []Class{{Name: "monkey"}, {Name: "crow"}}
			f.cfg.Licenses = []string{"cc"}
			rep, err := f.run(t, context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if n := len(methodRequests(f.fake, flickrtest.MethodLicenses)); n != 1 {
				t.Errorf("license list asked for %d times, want once per run", n)
			}
			for _, r := range searchRequests(f.fake) {
				if got := r.Query.Get("license"); got != "1,2,3,4,5,6,9,11,12,13,14,15,16" {
					t.Errorf("search sent license=%s", got)
				}
			}
			if c := rep.Classes[0]; c.Kept != 4 || !c.Exhausted {
				t.Errorf("monkey report %+v, want the 4 CC photos (4, 11, 16, 9)", c)
			}
			entries, err := ReadManifest(f.classDir("monkey"))
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, e := range entries {
				got[e.License] = e.LicenseName + " " + e.LicenseURL
			}
			want := map[string]string{
				"4":  "Attribution License https://creativecommons.org/licenses/by/2.0/",
				"9":  "Public Domain Dedication (CC0) https://creativecommons.org/publicdomain/zero/1.0/",
				"11": "Stand-in CC BY 4.0 https://creativecommons.org/licenses/by/4.0/",
				"16": "Stand-in CC BY-NC-ND 4.0 https://creativecommons.org/licenses/by-nc-nd/4.0/",
			}
			if !mapsEqual(got, want) {
				t.Errorf("licenses in the manifest %v, want %v", got, want)
			}
			var md bytes.Buffer
			if err := WriteAttribution(&md, f.cfg.ImagesDir, nil); err != nil {
				t.Fatal(err)
			}
			if s := md.String(); !strings.Contains(s, "[Stand-in CC BY 4.0](https://creativecommons.org/licenses/by/4.0/)") ||
				!strings.Contains(s, "[Stand-in CC BY-SA 4.0](https://creativecommons.org/licenses/by-sa/4.0/)") || strings.Contains(s, "Flickr license") {
				t.Errorf("attribution:\n%s", s)
			}
		})
	}
}

// A rerun with a narrower license filter tops the class up with photos of
// the licenses asked for: those an earlier run kept under other licenses
// stay in the folder, reported, but do not count. "cc" is Flickr's list of
// Creative Commons licenses, so a CC 4.0 photo (11) counts.
func TestNarrowerLicenseFilterTopsUp(t *testing.T) {
	f := newFixture(t)
	var photos []flickrtest.Photo
	for _, lic := range []string{"0", "11", "7", "4", "0", "5", "10", "9", "2"} {
		photos = append(photos, f.fake.Add("monkey", flickrtest.Photo{License: lic, Title: "license " + lic})...)
	}
	f.cfg.PerClass = 4
	f.cfg.Concurrency = 1
	if _, err := f.run(t, context.Background()); err != nil { // any license: 0, 11, 7, 4
		t.Fatal(err)
	}

	f.cfg.Licenses = []string{"cc"}
	rep, err := f.run(t, context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c := rep.Classes[0]; c.Kept != 4 || c.Existing != 2 || c.OtherLicense != 2 || c.Downloaded != 2 {
		t.Errorf("report %+v, want 4 kept: 2 there under CC licenses (11, 4), 2 more under others (0, 7) and 2 downloaded (5, 9)", c)
	}
	images := checkFolder(t, f.classDir("monkey"))
	for _, p := range []flickrtest.Photo{photos[0], photos[2], photos[5], photos[7]} {
		if !slices.Contains(images, p.ID+".jpg") {
			t.Errorf("%s (%s) is not in the folder: %v", p.ID, p.Title, images)
		}
	}
	if logs := f.logs.String(); !strings.Contains(logs, "photos in the folder have licenses outside the license filter") ||
		!strings.Contains(logs, "class=monkey count=2 licenses=0,7") {
		t.Errorf("no warning naming the 2 photos under licenses 0 and 7:\n%s", logs)
	}

	// Nothing more to do: no search, the two others still reported.
	searches := len(searchRequests(f.fake))
	rep, err = f.run(t, context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c := rep.Classes[0]; c.Kept != 4 || c.OtherLicense != 2 || c.Downloaded != 0 || c.SearchTotal != -1 {
		t.Errorf("third run %+v, want 4 kept and 2 others, without a search", c)
	}
	if n := len(searchRequests(f.fake)) - searches; n != 0 {
		t.Errorf("%d searches in the third run", n)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// When the license list cannot be fetched, "cc" falls back to the built-in
// ids with a warning, and the credits to the built-in names; the same for
// manifests written before they named licenses.
// A license list without any Creative Commons license must not turn "cc"
// into no filter at all (every license): the built-in CC ids are used.
func TestLicenseListWithoutCC(t *testing.T) {
	f := newFixture(t)
	f.fake.Licenses = flickrtest.Licenses[:1] // All Rights Reserved only
	f.fake.Add("monkey", flickrtest.Photo{License: "0"}, flickrtest.Photo{License: "4"})
	f.cfg.Licenses = []string{"cc"}
	rep, err := f.run(t, context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := searchRequests(f.fake)[0].Query.Get("license"); got != "1,2,3,4,5,6,9" {
		t.Errorf("search sent license=%q, want the built-in CC ids", got)
	}
	if c := rep.Classes[0]; c.Kept != 1 {
		t.Errorf("kept %d photos, want only the CC one: %+v", c.Kept, c)
	}
}

// Without "cc", the warning does not explain it.
func TestLicenseListUnavailableWithoutCC(t *testing.T) {
	f := newFixture(t)
	f.fake.Add("monkey", flickrtest.Photo{License: "4"})
	f.cfg.Retries = 0
	f.fake.FailMethod(flickrtest.MethodLicenses, flickrtest.Fault{Status: 500})
	if _, err := f.run(t, context.Background()); err != nil {
		t.Fatal(err)
	}
	logs := f.logs.String()
	if !strings.Contains(logs, "could not fetch Flickr's license list: license names come from the built-in table") || strings.Contains(logs, `\"cc\"`) || strings.Contains(logs, "cc_ids") {
		t.Errorf("want a warning that does not mention \"cc\", which was not asked for:\n%s", logs)
	}
}

func TestLicenseListUnavailable(t *testing.T) {
	f := newFixture(t)
	f.fake.Add("monkey", flickrtest.Photo{License: "4"}, flickrtest.Photo{License: "11"}, flickrtest.Photo{License: "5"})
	f.cfg.Licenses = []string{"cc", "7"}
	f.cfg.Retries = 1
	f.fake.FailMethod(flickrtest.MethodLicenses, flickrtest.Fault{Status: 500}, flickrtest.Fault{Code: 105})
	rep, err := f.run(t, context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(f.logs.String(), "could not fetch Flickr's license list: \\\"cc\\\" means the built-in") {
		t.Errorf("no warning saying what \"cc\" means in the logs:\n%s", f.logs)
	}
	if got := searchRequests(f.fake)[0].Query.Get("license"); got != "1,2,3,4,5,6,9,7" {
		t.Errorf("search sent license=%s, want the built-in CC ids and 7", got)
	}
	if c := rep.Classes[0]; c.Kept != 2 {
		t.Errorf("report %+v", c)
	}
	credits, err := classCredits(f.classDir("monkey"))
	if err != nil {
		t.Fatal(err)
	}
	// The built-in table's names and links, written out here: the table
	// itself is what is under test.
	want := map[string]license{
		"4": {"4", "CC BY 2.0", "https://creativecommons.org/licenses/by/2.0/"},
		"5": {"5", "CC BY-SA 2.0", "https://creativecommons.org/licenses/by-sa/2.0/"},
	}
	if len(credits) != 2 {
		t.Errorf("credits %+v, want the two photos kept", credits)
	}
	for _, c := range credits {
		if c.License != want[c.License.ID] {
			t.Errorf("credit %+v, want the built-in license %+v", c, want[c.License.ID])
		}
	}

	// A manifest written before license names: the built-in table.
	dir := filepath.Join(t.TempDir(), "old")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "1.jpg"), jpegBytes(t, flickrtest.Generate("1", 10, 10)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ManifestFile), []byte(`{"id":"1","owner":"1@N00","license":"4","file":"1.jpg"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	credits, err = classCredits(dir)
	if err != nil || len(credits) != 1 || credits[0].License.Name != "CC BY 2.0" {
		t.Errorf("credits of an old manifest: %+v %v", credits, err)
	}
}

func TestParseLicenses(t *testing.T) {
	body := `jsonFlickrApi({"licenses":{"license":[{"id":0,"name":"All Rights Reserved","url":""},
		{"id":"4","name":"Attribution License","url":"https://creativecommons.org/licenses/by/2.0/"},
		{"id":10,"name":"Public Domain Mark","url":"https://creativecommons.org/publicdomain/mark/1.0/"},
		{"id":"21","name":"Some future license","url":"https://creativecommons.org/licenses/by/4.0/deed.en"}]},"stat":"ok"})`
	list, err := parseLicenses([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 4 || list[1] != (license{"4", "Attribution License", "https://creativecommons.org/licenses/by/2.0/"}) {
		t.Errorf("licenses %+v", list)
	}
	if got := ccIDs(list); !slices.Equal(got, []string{"4", "21"}) {
		t.Errorf("CC ids %v", got)
	}
	var static []license
	for _, l := range builtinLicenses {
		static = append(static, l)
	}
	if got := ccIDs(static); !slices.Equal(got, ccLicenseIDs) {
		t.Errorf("CC ids of the built-in table %v, want ccLicenseIDs %v", got, ccLicenseIDs)
	}
	for u, want := range map[string]bool{
		"https://creativecommons.org/licenses/by-nc-sa/4.0/":   true,
		"http://creativecommons.org/publicdomain/zero/1.0/":    true,
		"https://creativecommons.org/publicdomain/mark/1.0/":   false,
		"https://www.flickr.com/commons/usage/":                false,
		"https://creativecommons.org.evil.example/licenses/x/": false,
		"": false,
	} {
		if (license{URL: u}).isCreativeCommons() != want {
			t.Errorf("license{URL: %q}.isCreativeCommons() = %v", u, !want)
		}
	}
	if _, err := parseLicenses([]byte(`{"stat":"fail","code":112,"message":"Method not found"}`)); err == nil {
		t.Error("stat=fail accepted")
	}
}

// Flickr code 10 (search API unavailable) and an answer that is not JSON
// at all (a maintenance page with status 200) are retried.
func TestCode10AndMaintenancePageRetried(t *testing.T) {
	page := []byte("<!DOCTYPE html><html><body>Flickr is down for maintenance</body></html>")
	f := newFixture(t)
	f.fake.AddGenerated("monkey", 5)
	f.fake.FailMethod(flickrtest.MethodSearch, flickrtest.Fault{Code: 10}, flickrtest.Fault{Body: page})
	rep, err := f.run(t, context.Background())
	if err != nil || rep.Classes[0].Kept != 5 {
		t.Fatalf("after code 10 and a maintenance page: %v, %+v", err, rep)
	}
	if n := len(searchRequests(f.fake)); n != 3 {
		t.Errorf("%d search requests, want 3", n)
	}

	g := newFixture(t)
	g.fake.AddGenerated("monkey", 5)
	g.cfg.Retries = 2
	g.fake.FailMethod(flickrtest.MethodSearch, flickrtest.Fault{Body: page}, flickrtest.Fault{Body: page}, flickrtest.Fault{Body: page})
	_, err = g.run(t, context.Background())
	if err == nil || !strings.Contains(err.Error(), "not a JSON answer") || !strings.Contains(err.Error(), "3 attempts") {
		t.Errorf("error %v, want the maintenance page after 3 attempts", err)
	}
	if n := len(searchRequests(g.fake)); n != 3 {
		t.Errorf("%d search requests, want 3 (bounded by the retries)", n)
	}
}

// One photo is kept in one class only: the first class of the run that
// meets it (by id, or by content under another id), and on a rerun the
// class whose folder holds it.
func TestPhotoInTwoClasses(t *testing.T) {
	same := jpegBytes(t, flickrtest.Generate("same", 150, 150))
	setup := func(t *testing.T) (*fixture, []flickrtest.Photo) {
		f := newFixture(t)
		shared := f.fake.Add("monkey", flickrtest.Photo{Title: "monkey and crow"}, flickrtest.Photo{Title: "copy 1", Data: same})
		f.fake.AddGenerated("monkey", 3)
		f.fake.Add("crow", shared[0], flickrtest.Photo{Title: "copy 2", Data: same})
		f.fake.AddGenerated("crow", 3)
		f.cfg.Concurrency = 1
		f.cfg.PerClass = 4
		return f, shared
	}
	check := func(t *testing.T, f *fixture, c ClassReport, shared []flickrtest.Photo) {
		t.Helper()
		var reasons []string
		for _, r := range c.Rejected {
			reasons = append(reasons, string(r.Reason))
		}
		if c.Kept != 3 || !slices.Equal(reasons, []string{"other-class", "other-class"}) {
			t.Errorf("crow report %+v", c)
		}
		images := checkFolder(t, f.classDir("crow"))
		if slices.Contains(images, shared[0].ID+".jpg") {
			t.Errorf("crow holds monkey's photo %s", shared[0].ID)
		}
	}

	t.Run("same run", func(t *testing.T) {
		f, shared := setup(t)
		f.cfg.Classes = []Class{{Name: "monkey"}, {Name: "crow"}}
		rep, err := f.run(t, context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if c := rep.Classes[0]; c.Kept != 4 || len(c.Rejected) != 0 {
			t.Errorf("monkey report %+v", c)
		}
		check(t, f, rep.Classes[1], shared)
	})
	// crowKeeps crawls monkey then crow, and checks that crow kept the
	// shared photo that monkey met first but did not keep (why).
	crowKeeps := func(t *testing.T, f *fixture, shared []flickrtest.Photo, why string) {
		t.Helper()
		f.cfg.Classes = []Class{{Name: "monkey"}, {Name: "crow"}}
		rep, err := f.run(t, context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if images := checkFolder(t, f.classDir("crow")); !slices.Contains(images, shared[0].ID+".jpg") {
			t.Errorf("crow lacks the photo %s: %v (report %+v)", why, images, rep.Classes[1])
		}
	}
	t.Run("excluded where met first", func(t *testing.T) {
		// The user excluded the shared photo from monkey (it shows a crow):
		// crow, crawled after, keeps it.
		f, shared := setup(t)
		if err := os.MkdirAll(f.classDir("monkey"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(f.classDir("monkey"), dataset.ExcludeFile), []byte(shared[0].ID+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		crowKeeps(t, f, shared, "monkey excluded")
	})
	t.Run("failed where met first", func(t *testing.T) {
		// monkey's download of the shared photo fails: crow may keep it.
		f, shared := setup(t)
		f.cfg.Retries = 0
		f.fake.FailPhoto(shared[0].ID, flickrtest.Fault{Status: 500})
		crowKeeps(t, f, shared, "monkey failed to download")
	})
	// A rerun for crow alone finds monkey's photo in monkey's folder, also
	// when that folder is a link to photos kept elsewhere (as prepare
	// allows).
	for _, linked := range []bool{false, true} {
		t.Run(fmt.Sprintf("rerun, monkey's folder a link %v", linked), func(t *testing.T) {
			f, shared := setup(t)
			f.cfg.Classes = []Class{{Name: "monkey"}}
			if _, err := f.run(t, context.Background()); err != nil {
				t.Fatal(err)
			}
			if linked {
				elsewhere := filepath.Join(t.TempDir(), "monkey-photos")
				if err := os.Rename(f.classDir("monkey"), elsewhere); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(elsewhere, f.classDir("monkey")); err != nil {
					t.Fatal(err)
				}
			}
			f.cfg.Classes = []Class{{Name: "crow"}}
			rep, err := f.run(t, context.Background())
			if err != nil {
				t.Fatal(err)
			}
			check(t, f, rep.Classes[0], shared)
			if n := f.fake.PhotoRequests()[shared[0].ID]; n != 1 {
				t.Errorf("monkey's photo requested %d times", n)
			}
		})
	}
}

// An image answering 404 or 410 is gone for good: rejected as unavailable
// and not fetched again by a rerun.
func TestGoneImagesNotFetchedAgain(t *testing.T) {
	f := newFixture(t)
	photos := f.fake.AddGenerated("monkey", 6)
	f.cfg.PerClass = 4
	f.fake.FailPhoto(photos[0].ID, flickrtest.Fault{Status: 404})
	f.fake.FailPhoto(photos[1].ID, flickrtest.Fault{Status: 410})
	rep, err := f.run(t, context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c := rep.Classes[0]
	reasons := rejectionReasons(c)
	if c.Kept != 4 || c.Failed != 0 || reasons[photos[0].ID] != ReasonUnavailable || reasons[photos[1].ID] != ReasonUnavailable {
		t.Errorf("report %+v", c)
	}
	rejected, err := readRejected(f.classDir("monkey"))
	if err != nil || len(rejected) != 2 {
		t.Errorf("rejected list %+v %v", rejected, err)
	}
	f.cfg.PerClass = 5
	if _, err := f.run(t, context.Background()); err != nil {
		t.Fatal(err)
	}
	counts := f.fake.PhotoRequests()
	if counts[photos[0].ID] != 1 || counts[photos[1].ID] != 1 {
		t.Errorf("gone photos requested again: %v", counts)
	}
}

// Searches ask for photos only: no screenshots or illustrations.
func TestPhotosOnly(t *testing.T) {
	f := newFixture(t)
	shots := f.fake.Add("monkey", flickrtest.Photo{ContentType: 2}, flickrtest.Photo{ContentType: 3})
	f.fake.AddGenerated("monkey", 3)
	rep, err := f.run(t, context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c := rep.Classes[0]; c.Kept != 3 || c.Results != 3 || !c.Exhausted {
		t.Errorf("report %+v, want the 3 photos and the results used up", c)
	}
	for _, p := range shots {
		if n := f.fake.PhotoRequests()[p.ID]; n != 0 {
			t.Errorf("screenshot or illustration %s requested", p.ID)
		}
	}
}

// A class short of photos because its downloads failed is not exhausted: a
// rerun may get them.
func TestFailedPhotosNotExhausted(t *testing.T) {
	f := newFixture(t)
	photos := f.fake.AddGenerated("monkey", 4)
	f.cfg.PerClass = 4
	f.cfg.Retries = 1
	for _, p := range photos[:2] {
		f.fake.FailPhoto(p.ID, flickrtest.Fault{Status: 500}, flickrtest.Fault{Status: 502})
	}
	rep, err := f.run(t, context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c := rep.Classes[0]; c.Kept != 2 || c.Failed != 2 || c.Exhausted {
		t.Errorf("report %+v, want 2 failed and not exhausted", c)
	}
}
