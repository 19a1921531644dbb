package crawl

import (
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/animalcnn/animalcnn/mlpkg/dataset"
)

// license is a Flickr license: its id in API answers, name and URL.
type license struct {
	ID   string
	Name string
	URL  string // empty for All Rights Reserved
}

// builtinLicenses are the license ids flickr.photos.licenses.getInfo listed before
// Flickr added the Creative Commons 4.0 licenses in 2025: the fallback names
// when a manifest entry does not carry its license's name (manifests written
// before, or the answer could not be fetched). Run asks Flickr for the
// current list.
var builtinLicenses = map[string]license{
	"0":  {"0", "All Rights Reserved", ""},
	"1":  {"1", "CC BY-NC-SA 2.0", "https://creativecommons.org/licenses/by-nc-sa/2.0/"},
	"2":  {"2", "CC BY-NC 2.0", "https://creativecommons.org/licenses/by-nc/2.0/"},
	"3":  {"3", "CC BY-NC-ND 2.0", "https://creativecommons.org/licenses/by-nc-nd/2.0/"},
	"4":  {"4", "CC BY 2.0", "https://creativecommons.org/licenses/by/2.0/"},
	"5":  {"5", "CC BY-SA 2.0", "https://creativecommons.org/licenses/by-sa/2.0/"},
	"6":  {"6", "CC BY-ND 2.0", "https://creativecommons.org/licenses/by-nd/2.0/"},
	"7":  {"7", "No known copyright restrictions", "https://www.flickr.com/commons/usage/"},
	"8":  {"8", "United States Government Work", "http://www.usa.gov/copyright.shtml"},
	"9":  {"9", "CC0 1.0 Public Domain Dedication", "https://creativecommons.org/publicdomain/zero/1.0/"},
	"10": {"10", "Public Domain Mark 1.0", "https://creativecommons.org/publicdomain/mark/1.0/"},
}

// ccLicenseIDs are the Creative Commons license ids of builtinLicenses: the six CC
// 2.0 licenses and CC0. "-license cc" falls back to them when Flickr's
// license list cannot be fetched; otherwise it takes every license whose URL
// isCreativeCommons.
var ccLicenseIDs = []string{"1", "2", "3", "4", "5", "6", "9"}

// isCreativeCommons reports whether l is a Creative Commons license (its URL
// is https://creativecommons.org/licenses/...) or the CC0 dedication
// (.../publicdomain/zero/...). The Public Domain Mark is not a license and
// does not count.
func (l license) isCreativeCommons() bool {
	u, err := url.Parse(strings.TrimSpace(l.URL))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return false
	}
	if host := strings.TrimPrefix(strings.ToLower(u.Hostname()), "www."); host != "creativecommons.org" {
		return false
	}
	return strings.HasPrefix(u.Path, "/licenses/") || strings.HasPrefix(u.Path, "/publicdomain/zero/")
}

// ccIDs returns the ids of the Creative Commons licenses among list, in
// numeric order.
func ccIDs(list []license) []string {
	var ids []string
	for _, l := range list {
		if l.isCreativeCommons() {
			ids = append(ids, l.ID)
		}
	}
	slices.SortFunc(ids, func(a, b string) int {
		if len(a) != len(b) {
			return len(a) - len(b) // digits only: shorter is smaller
		}
		return strings.Compare(a, b)
	})
	return ids
}

// expandLicenses replaces "cc" in want by cc and drops repeated ids.
func expandLicenses(want, cc []string) []string {
	var out []string
	for _, l := range want {
		ids := []string{l}
		if l == "cc" {
			ids = cc
		}
		for _, id := range ids {
			if !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	return out
}

// licenseInfo returns the license for a Flickr license id; unknown ids get
// a generic name pointing at Flickr's license list.
func licenseInfo(id string) license {
	if l, ok := builtinLicenses[id]; ok {
		return l
	}
	return license{ID: id, Name: "Flickr license " + id, URL: "https://www.flickr.com/services/api/flickr.photos.licenses.getInfo.html"}
}

// entryLicense is the license of a manifest entry: the name and URL Flickr
// gave when it was kept, or licenseInfo's for entries written before the
// manifest recorded them.
func entryLicense(e ManifestEntry) license {
	if e.LicenseName != "" {
		return license{ID: e.License, Name: e.LicenseName, URL: e.LicenseURL}
	}
	return licenseInfo(e.License)
}

// credit is one kept photo's attribution.
type credit struct {
	Class   string
	File    string
	Title   string
	Author  string // owner name, or the owner's NSID when unknown
	Owner   string // NSID
	PageURL string // the photo's page on Flickr
	License license
}

// classCredits returns the attribution of classDir's photos listed in its
// manifest, leaving out those excluded in exclude.txt and those whose file
// is gone, sorted by file name.
func classCredits(classDir string) ([]credit, error) {
	entries, err := keptEntries(classDir)
	if err != nil {
		return nil, fmt.Errorf("credits for %s: %w", classDir, err)
	}
	excl, err := dataset.ReadExclusions(classDir)
	if err != nil {
		return nil, fmt.Errorf("credits for %s: %w", classDir, err)
	}
	class := filepath.Base(filepath.Clean(classDir))
	var out []credit
	for _, e := range entries {
		if dataset.Excluded(excl, e.File) || dataset.Excluded(excl, e.ID) {
			continue
		}
		author := e.OwnerName
		if author == "" {
			author = e.Owner
		}
		page := e.PageURL
		if page == "" {
			page = photo{ID: e.ID, Owner: e.Owner}.pageURL()
		}
		out = append(out, credit{Class: class, File: e.File, Title: e.Title, Author: author,
			Owner: e.Owner, PageURL: page, License: entryLicense(e)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].File < out[j].File })
	return out, nil
}

// WriteAttribution writes a Markdown attribution list (who, title, license
// name and URL, photo page) of the kept photos of each class under
// imagesDir. With no classes, every sub-folder holding a manifest is used.
func WriteAttribution(w io.Writer, imagesDir string, classes []string) error {
	if len(classes) == 0 {
		ents, err := os.ReadDir(imagesDir)
		if err != nil {
			return fmt.Errorf("attribution: %w", err)
		}
		for _, e := range ents {
			if _, err := os.Stat(filepath.Join(imagesDir, e.Name(), ManifestFile)); e.IsDir() && err == nil {
				classes = append(classes, e.Name())
			}
		}
		if len(classes) == 0 {
			return fmt.Errorf("attribution: no class folder with a %s under %s", ManifestFile, imagesDir)
		}
	}
	var b strings.Builder
	b.WriteString("# Photo credits\n\nPhotos from Flickr, used under the licenses listed.\n")
	for _, class := range classes {
		credits, err := classCredits(filepath.Join(imagesDir, class))
		if err != nil {
			return fmt.Errorf("attribution: %w", err)
		}
		fmt.Fprintf(&b, "\n## %s (%d photos)\n\n", class, len(credits))
		for _, c := range credits {
			title := c.Title
			if title == "" {
				title = "untitled"
			}
			lic := c.License.Name
			if c.License.URL != "" {
				lic = fmt.Sprintf("[%s](%s)", c.License.Name, c.License.URL)
			}
			fmt.Fprintf(&b, "- `%s`: [%s](%s) by %s, %s\n", c.File, mdEscape(title), c.PageURL, mdEscape(c.Author), lic)
		}
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("attribution: %w", err)
	}
	return nil
}

// mdEscape keeps user text from breaking the Markdown list.
func mdEscape(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return strings.NewReplacer(`\`, `\\`, `[`, `\[`, `]`, `\]`, "`", "\\`", `*`, `\*`, `_`, `\_`, `<`, `&lt;`).Replace(s)
}
