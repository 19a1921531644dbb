package crawl

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
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

// licenseState is what the client learnt from flickr.photos.licenses.getInfo.
type licenseState struct {
	loaded bool               // asked already (whatever the outcome)
	table  map[string]license // Flickr's answer by id; nil when it could not be fetched
	filter []string           // the license ids searches send
}

// licenseFilter returns the license ids to search for. The first call asks
// Flickr for its licenses (licenses), to expand "cc" into every Creative
// Commons license it lists (CC 4.0 included) and to name each kept photo's
// license; when that fails for another reason than ctx, the key or a rate
// limit, it logs a warning and keeps ccLicenseIDs and the built-in names.
func (c *client) licenseFilter(ctx context.Context) ([]string, error) {
	if c.lic.loaded {
		return c.lic.filter, nil
	}
	list, err := c.licenses(ctx)
	switch {
	case err == nil:
		c.lic.table = map[string]license{}
		for _, l := range list {
			c.lic.table[l.ID] = l
		}
		for _, id := range c.cfg.Licenses {
			if _, ok := c.lic.table[id]; !ok && id != "cc" {
				ids := slices.SortedFunc(maps.Keys(c.lic.table), func(a, b string) int {
					return cmp.Or(cmp.Compare(len(a), len(b)), strings.Compare(a, b)) // 2 before 10
				})
				return nil, fmt.Errorf("license %s: Flickr has no such license (its license ids: %s)", id, strings.Join(ids, ", "))
			}
		}
		cc := ccIDs(list)
		if len(cc) == 0 {
			// Never an empty filter for "cc": that would search every license.
			c.log.Warn("Flickr's license list names no Creative Commons license: \"cc\" means the built-in CC 2.0 and CC0 ids",
				"cc_ids", strings.Join(ccLicenseIDs, ","))
			cc = ccLicenseIDs
		}
		c.lic.filter = expandLicenses(c.cfg.Licenses, cc)
		c.log.Debug("flickr licenses", "count", len(list), "creative_commons", strings.Join(cc, ","))
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case errors.Is(err, ErrInvalidAPIKey) || errors.Is(err, ErrRateLimited) || errors.Is(err, ErrHostNotFound):
		return nil, err
	case slices.Contains(c.cfg.Licenses, "cc"):
		c.log.Warn("could not fetch Flickr's license list: \"cc\" means the built-in CC 2.0 and CC0 ids only (no CC 4.0) and license names come from the built-in table",
			"cc_ids", strings.Join(ccLicenseIDs, ","), "error", err.Error())
	default:
		c.log.Warn("could not fetch Flickr's license list: license names come from the built-in table", "error", err.Error())
	}
	c.lic.loaded = true
	return c.lic.filter, nil
}

// flickrLicense returns license id as Flickr's license list gave it, if it
// was fetched and lists id.
func (c *client) flickrLicense(id string) (license, bool) {
	l, ok := c.lic.table[id]
	return l, ok
}
