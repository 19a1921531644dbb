package crawl

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/animalcnn/animalcnn/mlpkg/dataset"
	"github.com/animalcnn/animalcnn/mlpkg/imageio"
)

// Report summarises a Run, one entry per class crawled (so far).
type Report struct {
	Classes []ClassReport
}

// ClassReport summarises one class.
type ClassReport struct {
	Class string
	Query string // search text
	Dir   string // class folder
	// Wanted is Config.PerClass; Kept the photos in the folder at the end,
	// not counting those listed in exclude.txt (Excluded) nor those under a
	// license outside the filter (OtherLicense): Existing (there at the
	// start) + Recovered + Downloaded.
	Wanted, Kept int
	Existing     int
	// Excluded counts the photos in the folder at the start that its
	// exclude.txt leaves out: they do not count toward Wanted, so a rerun
	// after curating replaces them (as it replaces deleted ones).
	Excluded int
	// OtherLicense counts the photos in the folder at the start, not
	// excluded, whose license (the manifest's) is not one Config.Licenses
	// asks for: kept by an earlier run with another filter. They stay in
	// the folder (and in training, unless deleted or excluded) but do not
	// count toward Wanted: the crawl adds photos of the licenses asked for.
	OtherLicense int
	// Recovered counts files found on disk, named after a photo of the
	// search results, without a manifest line (put there by hand, or left
	// by a crash of a version that wrote the file before its manifest
	// line), added without downloading them again.
	Recovered  int
	Downloaded int
	// Skipped counts search results not fetched: excluded in exclude.txt,
	// deleted from the folder after an earlier run, rejected by an earlier
	// run, or without a URL for the configured size (NoSize).
	Skipped int
	// NoSize counts the skipped results without a URL for the configured
	// size: photos too small (or too old) for it.
	NoSize int
	// Results counts the distinct search results met in this run (Flickr
	// returns at most MaxResults of SearchTotal).
	Results int
	// SearchTotal is the result count Flickr reports for the query (-1 when
	// no search was needed).
	SearchTotal int
	// Rejected lists the photos discarded in this run, including those
	// already another class's (ReasonOtherClass).
	Rejected []Rejection
	// Failed counts the downloads in Rejected that failed for a reason that
	// may pass (ReasonFailed: HTTP errors, network errors, timeouts after
	// the retries, bodies cut off); a rerun tries them again. The other
	// discarded downloads are listed in RejectedFile, not fetched again.
	Failed int
	// Exhausted is true when the search results (at most MaxResults) ran
	// out before the folder held Wanted photos, and retrying the failed
	// downloads could not make up the difference either.
	Exhausted bool
}

// Shortfall explains why a class holds fewer photos than wanted, in
// categories that do not overlap (ClassReport's counts do: Skipped includes
// NoSize, Rejected includes Failed and the other classes' photos).
type Shortfall struct {
	// Exhausted is ClassReport.Exhausted: the search results ran out. The
	// counts below say how the results met were used, besides the photos
	// kept.
	Exhausted bool
	// Capped is true when Flickr lists more results than the MaxResults it
	// returns for one search.
	Capped bool
	// Skipped counts the results excluded, deleted by hand or discarded by
	// an earlier run; NoSize those without a URL for the configured size.
	Skipped, NoSize int
	// OtherClass counts the results that are another class's photos, and
	// Discarded those discarded in this run for another reason than a
	// failed download (duplicates, unavailable, not an image).
	OtherClass, Discarded int
	// Failed counts the downloads that failed for a reason that may pass:
	// a rerun tries them again.
	Failed int
}

// Shortfall returns why c holds fewer photos than wanted; false when it is
// not short, or short for no reason the counts tell (the crawl stopped).
func (c ClassReport) Shortfall() (Shortfall, bool) {
	if c.Kept >= c.Wanted || (!c.Exhausted && c.Failed == 0) {
		return Shortfall{}, false
	}
	others := 0
	for _, r := range c.Rejected {
		if r.Reason == ReasonOtherClass {
			others++
		}
	}
	return Shortfall{
		Exhausted:  c.Exhausted,
		Capped:     c.SearchTotal > MaxResults,
		Skipped:    c.Skipped - c.NoSize,
		NoSize:     c.NoSize,
		OtherClass: others,
		Discarded:  len(c.Rejected) - others - c.Failed,
		Failed:     c.Failed,
	}, true
}

// Run crawls every class of cfg in turn and reports what it did. Without an
// API key it fails with ErrNoAPIKey before touching the disk; with a key
// Flickr rejects (ErrInvalidAPIKey) it fails before downloading anything.
// When ctx is cancelled (Ctrl-C), or Flickr asks to wait longer than
// Config.MaxRetryAfter (an error matching ErrRateLimited), it stops, leaving
// only complete files listed in the manifests, and returns the report so
// far with the error; a rerun resumes. A photo is kept in one class only:
// the first class of the run that meets it, or the class folder already
// holding it. While it runs it holds the images folder's lock
// (dataset.ImagesLockFile): a second crawl or fashion import into the same
// folder fails at once.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if len(cfg.Classes) == 0 {
		return nil, errors.New("crawl: no classes to crawl")
	}
	c, err := newClient(cfg)
	if err != nil {
		return nil, err
	}
	// One writer at a time: another crawl would delete this one's
	// downloads in progress (and fetch every photo twice).
	unlock, err := dataset.LockImagesForWriting(c.cfg.ImagesDir)
	if err != nil {
		return nil, fmt.Errorf("crawl: %w", err)
	}
	defer unlock()
	rep := &Report{}
	if err := c.claims.scan(c.cfg.ImagesDir); err != nil {
		return rep, fmt.Errorf("crawl: %w", err)
	}
	for _, cl := range c.cfg.Classes {
		cr, err := c.crawlClass(ctx, cl)
		if cr != nil {
			rep.Classes = append(rep.Classes, *cr)
		}
		if err != nil {
			return rep, fmt.Errorf("crawl %s: %w", cl.Name, err)
		}
	}
	return rep, nil
}

// validID accepts Flickr photo ids (digits) and other safe file names.
var validID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// tempPrefix and tempSuffix name the files being downloaded.
const (
	tempPrefix = ".crawl-"
	tempSuffix = ".part"
)

// classState is crawlClass's bookkeeping, owned by its dispatching goroutine.
type classState struct {
	c        *client
	cl       Class
	dir      string
	rep      *ClassReport
	excluded map[string]bool
	known    map[string]bool // photo ids in the manifest or the rejected list
	keptIDs  map[string]bool // photo ids whose files are in the folder
	seen     map[string]bool // photo ids met in this run's search results
	kept     int
	// page is the next page to search, morePages whether there is one,
	// queue the results met but not yet admitted.
	page      int
	morePages bool
	queue     []photo
}

// crawlClass fills cl's folder up to Config.PerClass photos: it searches
// page by page and downloads with bounded concurrency, skipping photos
// already there, excluded or rejected before, and photos of the other
// classes under Config.ImagesDir or crawled by c before.
func (c *client) crawlClass(ctx context.Context, cl Class) (*ClassReport, error) {
	dir := filepath.Join(c.cfg.ImagesDir, cl.Name)
	rep := &ClassReport{Class: cl.Name, Query: cl.searchText(), Dir: dir, Wanted: c.cfg.PerClass, SearchTotal: -1}
	s := &classState{c: c, cl: cl, dir: dir, rep: rep, known: map[string]bool{}, keptIDs: map[string]bool{}, seen: map[string]bool{}}
	if err := s.load(ctx); err != nil {
		return rep, err
	}
	s.progress(false)
	err := s.fill(ctx)
	rep.Kept = s.kept
	s.progress(true)
	c.log.Info("class done", "class", cl.Name, "kept", s.kept, "wanted", rep.Wanted, "downloaded", rep.Downloaded,
		"existing", rep.Existing, "excluded", rep.Excluded, "other_license", rep.OtherLicense, "recovered", rep.Recovered,
		"skipped", rep.Skipped, "rejected", len(rep.Rejected))
	return rep, err
}

// load prepares the folder and reads what earlier runs left: the photos
// kept (and which of them count toward PerClass) and those rejected for
// good. With a license filter and photos kept, it needs the filter's
// license ids: the client's first call asks Flickr for its license list
// (licenseFilter).
func (s *classState) load(ctx context.Context) error {
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return fmt.Errorf("create class folder: %w", err)
	}
	if err := s.removeInterrupted(); err != nil {
		return err
	}
	for _, f := range []string{ManifestFile, RejectedFile} {
		if err := repairTail(filepath.Join(s.dir, f)); err != nil {
			return err
		}
	}
	entries, err := ReadManifest(s.dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		s.known[e.ID] = true
	}
	kept, err := present(s.dir, entries)
	if err != nil {
		return err
	}
	if err := s.countKept(ctx, kept); err != nil {
		return err
	}
	rejected, err := readRejected(s.dir)
	if err != nil {
		return err
	}
	for _, r := range rejected {
		s.known[r.ID] = true
	}
	return nil
}

// removeInterrupted deletes the temporary files of downloads that a killed
// run left.
func (s *classState) removeInterrupted() error {
	stale, err := filepath.Glob(filepath.Join(s.dir, tempPrefix+"*"+tempSuffix))
	if err != nil {
		return fmt.Errorf("list temporary files: %w", err)
	}
	for _, f := range stale {
		if err := os.Remove(f); err != nil {
			return fmt.Errorf("remove interrupted download: %w", err)
		}
		s.c.log.Info("removed interrupted download", "file", f)
	}
	return nil
}

// countKept records the photos kept in the folder (kept: the manifest's
// entries whose file is there) and counts those toward PerClass that are
// neither excluded nor under a license outside the filter.
func (s *classState) countKept(ctx context.Context, kept []ManifestEntry) error {
	var err error
	if s.excluded, err = dataset.ReadExclusions(s.dir); err != nil {
		return err
	}
	var filter []string // license ids; empty: any license
	if len(s.c.cfg.Licenses) > 0 && len(kept) > 0 {
		if filter, err = s.c.licenseFilter(ctx); err != nil {
			return err
		}
	}
	var otherLicenses []string
	for _, e := range kept {
		s.keptIDs[e.ID] = true // its SHA-256 is in the client's claims (claims.scan)
		switch {
		case dataset.Excluded(s.excluded, e.File):
			// Like a deleted photo, an excluded one is replaced: a rerun
			// after curating tops the class up to PerClass usable photos.
			s.rep.Excluded++
		case len(filter) > 0 && !slices.Contains(filter, e.License):
			// Kept under an earlier, wider filter: left where it is (never
			// deleted), but topped up with photos of the licenses asked for.
			s.rep.OtherLicense++
			if !slices.Contains(otherLicenses, e.License) {
				otherLicenses = append(otherLicenses, e.License)
			}
		default:
			s.kept++
		}
	}
	s.rep.Existing = s.kept
	if n := s.rep.OtherLicense; n > 0 {
		s.c.log.Warn("photos in the folder have licenses outside the license filter: kept, but not counted toward the photos wanted; "+
			"to leave them out of training, list them in "+dataset.ExcludeFile+" or delete them (their licenses are in "+ManifestFile+")",
			"class", s.cl.Name, "count", n, "licenses", strings.Join(otherLicenses, ","), "filter", strings.Join(filter, ","))
	}
	return nil
}

// fill searches and downloads until the folder holds PerClass photos or
// the results run out. Downloads run concurrently, but are settled (kept,
// or discarded) in search order, so what is kept, and which of two identical
// photos, does not depend on which download finished first: the first
// PerClass good photos in search order. An error stops it (ctx's, a rate
// limit, a local write failure): the downloads in flight are then
// cancelled, keeping those already complete, so that files and manifest
// agree.
func (s *classState) fill(ctx context.Context) error {
	c := s.c
	want := c.cfg.PerClass
	if s.kept >= want {
		return nil
	}
	s.page, s.morePages = 1, true
	dctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Download number seq (in search order) reports on results; settled
	// counts the downloads settled, pending those finished out of turn.
	type finished struct {
		seq int
		d   fetchOutcome
	}
	results := make(chan finished, c.cfg.Concurrency)
	started, settled := 0, 0
	pending := map[int]fetchOutcome{}
	var fatal error
	stop := func(err error) {
		if fatal == nil {
			fatal = err
			cancel()
		}
	}
	// Start another download while nothing stopped the crawl, the folder
	// would still be short if every download in flight were kept, and
	// fewer than Concurrency are in flight.
	canStart := func() bool {
		inFlight := started - settled
		return fatal == nil && ctx.Err() == nil && s.kept+inFlight < want && inFlight < c.cfg.Concurrency
	}
	for {
		for canStart() {
			p, ok, err := s.next(ctx)
			if err != nil {
				stop(err)
				break
			}
			if !ok {
				break
			}
			start, err := s.admit(p)
			if err != nil {
				stop(err)
				break
			}
			if start {
				seq := started
				started++
				go func() { results <- finished{seq, c.download(dctx, s.dir, p)} }()
			}
		}
		if started == settled {
			break
		}
		f := <-results
		pending[f.seq] = f.d
		for d, ok := pending[settled]; ok; d, ok = pending[settled] {
			delete(pending, settled)
			settled++
			if err := s.finish(d); err != nil {
				stop(err)
			}
		}
	}
	if fatal != nil {
		return fatal
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	ranOut := !s.morePages && len(s.queue) == 0
	s.rep.Exhausted = ranOut && s.kept+s.rep.Failed < want
	return nil
}

// next returns the next search result, searching for the next page when
// needed; false when the results ran out.
func (s *classState) next(ctx context.Context) (photo, bool, error) {
	perPage := s.c.cfg.perPage()
	for len(s.queue) == 0 {
		if !s.morePages {
			return photo{}, false, nil
		}
		res, err := s.c.search(ctx, searchParams{Text: s.cl.searchText(), Page: s.page, PerPage: perPage})
		var ae *apiError
		if s.page > 1 && errors.As(err, &ae) && ae.Code == codeExcessiveOffset {
			// Past the results Flickr returns for one query: the end.
			s.c.log.Debug("no more search results", "class", s.cl.Name, "page", s.page, "error", err.Error())
			s.morePages = false
			continue
		}
		if err != nil {
			return photo{}, false, err
		}
		if s.page == 1 {
			s.rep.SearchTotal = res.Total
		}
		s.queue = append(s.queue, res.Photos...)
		s.morePages = len(res.Photos) > 0 && s.page < res.Pages && s.page*perPage < MaxResults
		s.page++
	}
	p := s.queue[0]
	s.queue = s.queue[1:]
	return p, true, nil
}

// admit decides what to do with a search result: skip it, adopt a file
// already on disk (adoptOrphan: no download), or download it (true).
func (s *classState) admit(p photo) (bool, error) {
	if s.seen[p.ID] {
		return false, nil // Flickr repeats photos across pages
	}
	s.seen[p.ID] = true
	s.rep.Results++
	switch {
	case s.known[p.ID]:
		if !s.keptIDs[p.ID] {
			s.rep.Skipped++ // deleted by hand or rejected before
		}
		return false, nil
	case dataset.Excluded(s.excluded, p.ID):
		s.rep.Skipped++
		return false, nil
	case !validID.MatchString(p.ID):
		s.reject(Rejection{ID: p.ID, URL: p.URL, Reason: ReasonFailed, Detail: "unusable photo id"}, false)
		return false, nil
	case p.URL == "":
		s.c.log.Debug("no URL for the size", "class", s.cl.Name, "id", p.ID, "size", s.c.cfg.Size)
		s.rep.Skipped++
		s.rep.NoSize++
		return false, nil
	}
	// Claimed only now: a photo excluded here (often one of another class)
	// stays free for the class it belongs to.
	if owner := s.c.claims.claimID(p.ID, s.cl.Name); owner != s.cl.Name {
		s.reject(Rejection{ID: p.ID, URL: p.URL, Reason: ReasonOtherClass,
			Detail: "a photo of class " + owner + " (kept there, or met first in its search results)"}, false)
		return false, nil
	}
	files, err := findByID(s.dir, p.ID)
	if err != nil {
		return false, fmt.Errorf("look for %s: %w", p.ID, err)
	}
	if len(files) == 0 {
		return true, nil
	}
	return false, s.adoptOrphan(p, files[0])
}

// adoptOrphan adds a file found on disk without a manifest line (see
// ClassReport.Recovered) to the manifest, without downloading it again; the
// report counts it as Recovered.
func (s *classState) adoptOrphan(p photo, path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("recover a file without a manifest line: %w", err)
	}
	v, err := inspect(b, s.c.cfg.maxPixels())
	if err != nil {
		// Not ours (we only rename verified files): leave it alone.
		s.c.log.Warn("file on disk does not decode; not replacing it", "file", path, "error", err)
		s.rep.Skipped++
		return nil
	}
	if k, dup := s.c.claims.byHash(v.sha256); dup {
		s.c.log.Warn("file on disk duplicates a kept photo", "file", path, "duplicate_of", k.class+"/"+k.file)
		s.rep.Skipped++
		return nil
	}
	file := filepath.Base(path)
	e := s.entry(p, file, v)
	e.Recovered = true
	if err := appendJSONL(filepath.Join(s.dir, ManifestFile), e); err != nil {
		return err
	}
	s.keep(p.ID, v.sha256, file)
	s.rep.Recovered++
	s.progress(false)
	return nil
}

// finish keeps or discards one download.
func (s *classState) finish(d fetchOutcome) error {
	switch {
	case d.fatal != nil:
		return d.fatal
	case d.cancelled:
		return nil // nothing was written
	case d.reject != nil:
		failed := d.reject.Reason == ReasonFailed
		if failed {
			s.rep.Failed++
		}
		s.c.claims.release(d.photo.ID, s.cl.Name)
		// Unavailable or not an image: the same download would get the
		// same verdict; a failure may pass, and is tried again next run.
		s.reject(*d.reject, !failed)
		return nil
	}
	if r := s.duplicate(d); r != nil {
		if err := os.Remove(d.tmp); err != nil {
			return fmt.Errorf("remove duplicate download: %w", err)
		}
		s.reject(*r, true)
		return nil
	}
	// The manifest line first, then the file: a crash or failure between
	// the two leaves a line without its file, which a rerun takes for a
	// photo deleted by hand (the class is topped up with another), never a
	// photo in the folder that the manifest, and so the credits, lack.
	file := d.photo.ID + cmp.Or(imageio.Ext(d.v.format), ".img")
	if err := appendJSONL(filepath.Join(s.dir, ManifestFile), s.entry(d.photo, file, d.v)); err != nil {
		_ = os.Remove(d.tmp)
		return err
	}
	if err := os.Rename(d.tmp, filepath.Join(s.dir, file)); err != nil {
		_ = os.Remove(d.tmp)
		return err // "rename <temporary file> <file>: …"
	}
	s.keep(d.photo.ID, d.v.sha256, file)
	s.rep.Downloaded++
	s.progress(false)
	return nil
}

// duplicate returns the rejection of a download with the same content as a
// photo kept in this class or another, or nil.
func (s *classState) duplicate(d fetchOutcome) *Rejection {
	k, dup := s.c.claims.byHash(d.v.sha256)
	switch {
	case !dup:
		return nil
	case k.class == s.cl.Name:
		return &Rejection{ID: d.photo.ID, URL: d.photo.URL, Reason: ReasonDuplicate, Detail: "same content as " + k.file}
	}
	return &Rejection{ID: d.photo.ID, URL: d.photo.URL, Reason: ReasonOtherClass, Detail: "same content as " + k.class + "/" + k.file}
}

// keep records a photo kept in the folder as file.
func (s *classState) keep(id, sha, file string) {
	s.keptIDs[id] = true
	s.known[id] = true
	s.kept++
	s.c.claims.keep(id, sha, s.cl.Name, file)
}

// entry builds the manifest line of photo p kept as file, with the
// license's name and URL when Flickr's license list was fetched.
func (s *classState) entry(p photo, file string, v verified) ManifestEntry {
	e := ManifestEntry{ID: p.ID, Owner: p.Owner, OwnerName: p.OwnerName, License: p.License, Title: p.Title,
		URL: p.URL, PageURL: p.pageURL(), Query: s.cl.searchText(), File: file, Format: v.format,
		Width: v.width, Height: v.height, Size: v.size, SHA256: v.sha256, Fetched: time.Now().UTC().Truncate(time.Second)}
	if l, ok := s.c.flickrLicense(p.License); ok {
		e.LicenseName, e.LicenseURL = l.Name, l.URL
	}
	return e
}

// reject reports a discarded photo; permanent ones are written to the
// rejected list so that a rerun does not fetch them again.
func (s *classState) reject(r Rejection, permanent bool) {
	r.Detail = s.c.redact(r.Detail)
	s.rep.Rejected = append(s.rep.Rejected, r)
	s.c.log.Info("photo discarded", "class", s.cl.Name, "id", r.ID, "reason", r.Reason, "detail", r.Detail)
	if permanent {
		s.known[r.ID] = true
		if err := appendJSONL(filepath.Join(s.dir, RejectedFile), r); err != nil {
			s.c.log.Warn("could not record rejected photo", "id", r.ID, "error", err)
		}
	}
	s.progress(false)
}

// progress calls the progress callback, if any.
func (s *classState) progress(done bool) {
	if f := s.c.cfg.Progress; f != nil {
		f(Progress{Class: s.cl.Name, Kept: s.kept, Wanted: s.c.cfg.PerClass, Rejected: len(s.rep.Rejected), Done: done})
	}
}
