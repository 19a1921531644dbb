// Package crawl collects training photos per class from Flickr's REST API
// (flickr.photos.search) into the folder-per-class layout the dataset step
// reads:
//
//	data/images/<class>/<photo id>.<ext>   the photos (jpg, png, gif, webp, bmp)
//	data/images/<class>/manifest.jsonl     one ManifestEntry per kept photo
//	data/images/<class>/rejected.jsonl     photos not to fetch again (duplicates, "photo unavailable", gone, not an image)
//	data/images/<class>/exclude.txt        curation list (format owned by package dataset)
//
// It is the Go port of the course's download.py, done properly: the API key
// comes from the environment (FLICKR_API_KEY), a flag or a file and is never
// logged; every request (API and image) goes through one global rate limit
// (one per second by default, the course's politeness); downloads are retried
// with backoff on 5xx, 429 and network errors, and a Retry-After pauses every
// request (one longer than Config.MaxRetryAfter stops the crawl with
// ErrRateLimited); files are written to a temporary name and renamed only
// once complete, verified to decode as an image and listed in the manifest
// (so every photo kept is credited, even after a crash); reruns resume, skipping
// photos already on disk, and replace those deleted or listed in exclude.txt
// (which are not fetched again). A photo is kept in one class only. "-license cc"
// takes every Creative Commons license Flickr lists
// (flickr.photos.licenses.getInfo), and the manifest records each photo's
// license name and URL for the credits; a rerun with a narrower filter
// leaves the photos kept under other licenses in place, but does not count
// them (ClassReport.OtherLicense).
//
// Typical use:
//
//	cfg := crawl.DefaultConfig()
//	cfg.Classes = []crawl.Class{{Name: "monkey"}, {Name: "boar", Query: "wild boar"}, {Name: "crow"}}
//	report, err := crawl.Run(ctx, cfg)
//
// WriteAttribution lists who took the kept photos and under which license.
// Curating them (contact sheets, exclude.txt, near-duplicates) works on any
// class folder, crawled or not: see package curate.
//
// Subpackage flickrtest is an offline stand-in for Flickr used by the tests
// and the crawl notebook.
package crawl
