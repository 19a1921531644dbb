package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/animalcnn/animalcnn/mlpkg/crawl"
	"github.com/animalcnn/animalcnn/mlpkg/dataset"
	"github.com/animalcnn/animalcnn/mlpkg/internal/atomicfile"
	"github.com/animalcnn/animalcnn/mlpkg/internal/flagvalue"
	"github.com/animalcnn/animalcnn/mlpkg/internal/sigctx"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

func init() {
	register(&command{
		name:    "crawl",
		usage:   "[flags]",
		summary: "download training photos per class from Flickr into data/images (needs $" + crawl.APIKeyEnv + ")",
		run:     runCrawl,
	})
	register(&command{
		name:    "attribution",
		usage:   "[flags]",
		summary: "write the credits (author, license, link) of the crawled photos kept, as Markdown",
		run:     runAttribution,
	})
}

// runCrawl is "animalcnn crawl": Ctrl-C stops it cleanly and a rerun resumes.
func runCrawl(fs *flag.FlagSet, args []string) error {
	cfg := crawl.DefaultConfig()
	cfg.RegisterFlags(fs)
	quiet := fs.Bool("quiet", false, "no progress bars or lines")
	verbose := fs.Bool("v", false, "log every request, retry and discarded photo to stderr")
	logEvery := fs.Duration("log-every", time.Minute, "without a terminal (no progress bars): print a progress line this often (0: none)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return argsError{fmt.Errorf("unexpected arguments %q (classes go in -classes)", fs.Args())}
	}
	if err := cfg.Validate(); err != nil {
		return argsError{err}
	}
	if *logEvery < 0 {
		return argsError{fmt.Errorf("-log-every %v: want 0 (no progress lines) or more", *logEvery)}
	}
	cfg.Logger = quietLogger()
	if *verbose {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	switch {
	case *quiet:
	case term.IsTerminal(int(os.Stderr.Fd())):
		cfg.Progress = progressBars(os.Stderr)
	case *logEvery > 0:
		cfg.Progress = progressLines(os.Stderr, *logEvery)
	}

	// Ctrl-C: finish writing what is downloaded; a second one stops at once
	// (files are renamed into place complete, and the manifest repairs a
	// torn last line).
	ctx, stop := sigctx.Notify(context.Background(), func(os.Signal) {
		fmt.Fprintln(os.Stderr, "\nstopping: keeping the photos downloaded so far (press Ctrl-C again to stop now)")
	})
	defer stop()
	rep, err := crawl.Run(ctx, cfg)
	if rep != nil {
		printCrawlReport(os.Stdout, rep, cfg.Size, *verbose)
	}
	if errors.Is(err, context.Canceled) {
		return interruptedError{errors.New("interrupted: complete photos are kept; rerun the same command to resume")}
	}
	return err
}

// progressBars returns a progress callback drawing one bar per class on w.
func progressBars(w io.Writer) func(crawl.Progress) {
	bars := map[string]*progressbar.ProgressBar{}
	return func(p crawl.Progress) {
		bar, ok := bars[p.Class]
		if !ok {
			bar = progressbar.NewOptions(p.Wanted,
				progressbar.OptionSetWriter(w),
				progressbar.OptionSetDescription(p.Class),
				progressbar.OptionShowCount(),
				progressbar.OptionSetWidth(30),
				progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
			)
			bars[p.Class] = bar
		}
		if p.Rejected > 0 {
			bar.Describe(fmt.Sprintf("%s (%d discarded)", p.Class, p.Rejected))
		}
		_ = bar.Set(min(p.Kept, p.Wanted))
		if p.Done && !bar.IsFinished() {
			// Fewer results than wanted: end the bar where it is.
			_ = bar.Exit()
		}
	}
}

// progressLines returns a progress callback for a log (no terminal): a
// line at most every interval (the report at the end says how each class
// ended).
func progressLines(w io.Writer, every time.Duration) func(crawl.Progress) {
	last := time.Now()
	return func(p crawl.Progress) {
		if time.Since(last) < every {
			return
		}
		last = time.Now()
		fmt.Fprintf(w, "crawl %s: %d/%d photos kept, %d discarded\n", p.Class, p.Kept, p.Wanted, p.Rejected)
	}
}

// printCrawlReport writes one line per class, why a class is short of
// photos (size is the -size crawled), and with verbose the discarded photos.
func printCrawlReport(w io.Writer, rep *crawl.Report, size string, verbose bool) {
	for _, c := range rep.Classes {
		fmt.Fprintf(w, "%s: %d/%d photos in %s (%d downloaded, %d already there, %d recovered), %d discarded, %d skipped\n",
			c.Class, c.Kept, c.Wanted, c.Dir, c.Downloaded, c.Existing, c.Recovered, len(c.Rejected), c.Skipped)
		if c.Excluded > 0 {
			fmt.Fprintf(w, "  %d more in the folder left out by %s (not counted: replaced by new photos)\n", c.Excluded, dataset.ExcludeFile)
		}
		if c.OtherLicense > 0 {
			fmt.Fprintf(w, "  %d more in the folder under licenses outside -license (not counted: topped up with photos of the licenses asked for; "+
				"still used for training unless deleted or listed in %s)\n", c.OtherLicense, dataset.ExcludeFile)
		}
		for _, line := range shortfall(c, size) {
			fmt.Fprintf(w, "  %s\n", line)
		}
		if verbose {
			for _, r := range c.Rejected {
				fmt.Fprintf(w, "  discarded %s (%s): %s\n", r.ID, r.Reason, r.Detail)
			}
		}
	}
}

// shortfall explains why class c holds fewer photos than wanted
// (ClassReport.Shortfall) and what may help: the search results ran out
// (and how they were used), or downloads failed (a rerun tries them again);
// nothing when it is not short.
func shortfall(c crawl.ClassReport, size string) []string {
	sf, short := c.Shortfall()
	if !short {
		return nil
	}
	var out []string
	if sf.Exhausted {
		out = append(out, resultsUsed(c, sf, size))
	}
	if sf.Failed > 0 {
		out = append(out, fmt.Sprintf("%d downloads failed (server or network errors): rerun the same command to try them again", sf.Failed))
	}
	return out
}

// resultsUsed says how the search results of an exhausted class were used
// up and what to try.
func resultsUsed(c crawl.ClassReport, sf crawl.Shortfall, size string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "search results for %q used up: %d met", c.Query, c.Results)
	if sf.Capped {
		fmt.Fprintf(&b, " (Flickr lists %d but returns only the first %d of a search)", c.SearchTotal, crawl.MaxResults)
	}
	if sf.Skipped > 0 {
		fmt.Fprintf(&b, ", %d skipped (excluded, deleted or discarded in earlier runs)", sf.Skipped)
	}
	if sf.NoSize > 0 {
		fmt.Fprintf(&b, ", %d without a %s-size image (too small or too old for it)", sf.NoSize, size)
	}
	if sf.OtherClass > 0 {
		fmt.Fprintf(&b, ", %d already in another class", sf.OtherClass)
	}
	if sf.Discarded > 0 {
		fmt.Fprintf(&b, ", %d discarded", sf.Discarded)
	}
	fmt.Fprintf(&b, "; try another search text (-classes %s=...)", c.Class)
	if sf.NoSize > 0 && size != crawl.Sizes()[0] {
		b.WriteString(" or a smaller -size")
	}
	return b.String()
}

// runAttribution is "animalcnn attribution".
func runAttribution(fs *flag.FlagSet, args []string) error {
	dir := fs.String("images", dataset.DefaultImagesDir, "folder holding one sub-folder per class")
	var classes flagvalue.List
	fs.Var(&classes, "classes", "comma-separated `classes` (default: every sub-folder with a "+crawl.ManifestFile+")")
	out := fs.String("o", "", "output file (default: standard output)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return crawl.WriteAttribution(os.Stdout, *dir, classes)
	}
	// Written whole or not at all: an error leaves the old credits as they were.
	var b bytes.Buffer
	if err := crawl.WriteAttribution(&b, *dir, classes); err != nil {
		return err
	}
	if err := atomicfile.WriteFile(*out, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("attribution: %w", err)
	}
	return nil
}
