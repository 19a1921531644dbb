package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/animalcnn/animalcnn/mlpkg/crawl"
	"github.com/animalcnn/animalcnn/mlpkg/crawl/flickrtest"
	"github.com/animalcnn/animalcnn/mlpkg/curate"
	"github.com/animalcnn/animalcnn/mlpkg/imageio"
)

// standInDir is the folder under Paths.Scratch that standInCrawl fills.
const standInDir = "flickr-stand-in"

// quickCrawlPerClass is how many real Flickr photos per class a quick run
// downloads (at one request per second).
const quickCrawlPerClass = 5

// HaveFlickrKey reports whether a Flickr API key is set in $FLICKR_API_KEY.
func HaveFlickrKey() bool { return strings.TrimSpace(os.Getenv(crawl.APIKeyEnv)) != "" }

// FlickrKeyHelp explains, in Markdown, how to get and set a Flickr API key.
func FlickrKeyHelp() string {
	return "To crawl real photos you need a Flickr API key (free for non-commercial use):\n\n" +
		"1. sign in to Flickr and apply for a key at <https://www.flickr.com/services/apps/create/apply/>;\n" +
		"2. start JupyterLab with the key in its environment: `FLICKR_API_KEY=… kernel_setup/lab.sh`;\n" +
		"3. run this notebook again: the crawl cell then downloads the photos (by default of monkeys, wild boars and crows; `s.CrawlClasses` in `settings.go` changes them) into `data/images/`.\n\n" +
		"The key is read from the environment only and never printed or saved.\n"
}

// CrawlDir is where Crawl puts the photos: p.Images when a Flickr key is
// set, else the stand-in's scratch folder.
func CrawlDir(p Paths) string {
	if HaveFlickrKey() {
		return p.Images
	}
	return filepath.Join(p.Scratch, standInDir)
}

// Crawl downloads photos of s.CrawlClasses (by default the course's:
// monkey, boar searched as "wild boar", crow) into CrawlDir(p): from Flickr
// when $FLICKR_API_KEY is set (s.CrawlConfig: the course's 400 per class at
// one request per second, or 5 when s.Quick; resumable), otherwise the
// course's three classes from the offline stand-in for Flickr (generated
// pictures, served on a local port to the same crawler: standInPerClass per
// class). s.Classes are the classes to train on, which are the crawled ones
// once they name them (notebooks/settings.go, or ANIMALCNN_CLASSES: see
// ClassesEnv).
func Crawl(ctx context.Context, p Paths, s Settings, standInPerClass int) (*crawl.Report, error) {
	if !HaveFlickrKey() {
		fmt.Fprintf(Output, "crawl: no Flickr API key: crawling the offline STAND-IN for Flickr (generated pictures, not photos) into %s\n", CrawlDir(p))
		return standInCrawl(ctx, CrawlDir(p), standInPerClass)
	}
	cfg := s.CrawlConfig(p)
	cfg.Logger = quietLogger()
	cfg.Progress = func(pr crawl.Progress) {
		if pr.Done || pr.Kept%25 == 0 {
			fmt.Fprintf(Output, "crawl: %s %d/%d photos (%d discarded)\n", pr.Class, pr.Kept, pr.Wanted, pr.Rejected)
		}
	}
	fmt.Fprintf(Output, "crawl: Flickr API key found: downloading %d photos per class into %s, one request per second\n", cfg.PerClass, cfg.ImagesDir)
	return crawl.Run(ctx, cfg)
}

// quietLogger logs warnings and errors to stderr.
func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// standIn returns the offline stand-in for Flickr that standInCrawl crawls:
// flickrtest.Demo(n), whose monkey results include an unavailable photo and
// whose crow results include an exact copy of another, plus two more results
// per query. For crow these two are one picture and an edited re-upload of it
// (brighter, cropped, re-encoded): a near-duplicate that only a perceptual
// hash finds. Each query then has n+2 usable results.
func standIn(n int) *flickrtest.Server {
	s := flickrtest.Demo(n)
	s.AddGenerated("monkey", 2)
	s.AddGenerated("wild boar", 2)
	original := flickrtest.Generate("crow on a fence", 150, 150)
	s.Add("crow",
		flickrtest.Photo{Title: "crow on a fence", OwnerName: "Stand-in photographer 1", License: "4", Data: jpegBytes(original, 92)},
		flickrtest.Photo{Title: "crow on a fence (edited re-upload)", OwnerName: "Stand-in photographer 2", License: "2", Data: jpegBytes(edited(original), 75)},
	)
	return s
}

// edited returns img cropped by 3 pixels on each side and brightened a little.
func edited(img image.Image) image.Image {
	b := img.Bounds().Inset(3)
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			up := func(v uint32) uint8 { return uint8(min(255, v>>8+12)) }
			out.SetRGBA(x-b.Min.X, y-b.Min.Y, color.RGBA{up(r), up(g), up(bl), 255})
		}
	}
	return out
}

// jpegBytes encodes img as a JPEG of the given quality.
func jpegBytes(img image.Image, quality int) []byte {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
		panic(err) // encoding into memory cannot fail
	}
	return buf.Bytes()
}

// standInCrawl runs the real crawler (crawl.Run) against standIn on a local
// port, into dir, which it empties first: perClass photos (at least 5) of each
// of the course's classes, without the one-second pause between requests.
func standInCrawl(ctx context.Context, dir string, perClass int) (*crawl.Report, error) {
	if perClass < 5 {
		return nil, fmt.Errorf("stand-in crawl: %d photos per class, want at least 5", perClass)
	}
	if err := os.RemoveAll(dir); err != nil {
		return nil, fmt.Errorf("stand-in crawl: %w", err)
	}
	apiURL, stop := standIn(perClass - 2).Start()
	defer stop()
	cfg := crawl.DefaultConfig()
	cfg.PerClass = perClass
	cfg.ImagesDir = dir
	cfg.APIURL, cfg.APIKey = apiURL, flickrtest.DemoKey
	cfg.Interval = 0 // no need to be polite to a local stand-in
	cfg.Logger = quietLogger()
	return crawl.Run(ctx, cfg)
}

// ReportTable lays out a crawl report as a table for display.Table.
func ReportTable(r *crawl.Report) (header []string, rows [][]string) {
	header = []string{"class", "search", "kept / wanted", "downloaded", "already there", "skipped", "discarded", "search results"}
	for _, c := range r.Classes {
		var discarded []string
		for _, rej := range c.Rejected {
			discarded = append(discarded, fmt.Sprintf("%s (%s)", rej.ID, rej.Reason))
		}
		kept := fmt.Sprintf("%d / %d", c.Kept, c.Wanted)
		if c.Excluded > 0 {
			kept += fmt.Sprintf(" (+%d excluded)", c.Excluded)
		}
		if c.OtherLicense > 0 {
			kept += fmt.Sprintf(" (+%d under other licenses)", c.OtherLicense)
		}
		if sf, short := c.Shortfall(); short {
			if sf.Exhausted {
				kept += " (results ran out)"
			} else {
				kept += fmt.Sprintf(" (%d downloads failed: run again)", sf.Failed)
			}
		}
		total := strconv.Itoa(c.SearchTotal)
		if c.SearchTotal < 0 {
			total = "no search needed"
		}
		rows = append(rows, []string{c.Class, c.Query, kept, strconv.Itoa(c.Downloaded), strconv.Itoa(c.Existing + c.Recovered),
			strconv.Itoa(c.Skipped), strings.Join(discarded, ", "), total})
	}
	return header, rows
}

// NearDuplicateImages finds the near-duplicate groups of a class folder
// (curate.NearDuplicates with maxDistance) and returns their pictures, group
// after group, captioned "group 1: 123.jpg", for display.ImageGrid; groups
// is the number of groups.
func NearDuplicateImages(classDir string, maxDistance int) (images []image.Image, captions []string, groups int, err error) {
	found, err := curate.NearDuplicates(classDir, maxDistance)
	if err != nil {
		return nil, nil, 0, err
	}
	for g, names := range found {
		for _, name := range names {
			img, err := imageio.Load(filepath.Join(classDir, name))
			if err != nil {
				return nil, nil, 0, err
			}
			images = append(images, img)
			captions = append(captions, fmt.Sprintf("group %d: %s", g+1, name))
		}
	}
	return images, captions, len(found), nil
}

// Credits returns attribution(CrawlDir(p), perClass): the credits of the
// crawled photos, marked as made up when they are the stand-in's.
func Credits(p Paths, perClass int) (string, error) {
	md, err := attribution(CrawlDir(p), perClass)
	if err != nil || HaveFlickrKey() {
		return md, err
	}
	return "**STAND-IN**: made-up credits of generated pictures, not of Flickr photos; the links lead nowhere useful.\n\n" + md, nil
}

// attribution returns the Markdown credits (crawl.WriteAttribution) of the
// photos kept under imagesDir, every crawled class, listing at most perClass
// photos of each (0: all) and how many more there are. Its headings are two
// levels down (### and ####), to sit under a notebook's own ## section.
func attribution(imagesDir string, perClass int) (string, error) {
	var full strings.Builder
	if err := crawl.WriteAttribution(&full, imagesDir, nil); err != nil {
		return "", err
	}
	// The command that lists them all, from the repository's root.
	all := "bin/animalcnn attribution"
	if abs, err := filepath.Abs(imagesDir); err == nil {
		all += " -images " + abs
	}
	var b strings.Builder
	listed, hidden := 0, 0
	flush := func() { // ends a class's list
		if hidden > 0 {
			fmt.Fprintf(&b, "- … and %d more (all of them: `%s`)\n", hidden, all)
		}
		listed, hidden = 0, 0
	}
	for _, line := range strings.SplitAfter(full.String(), "\n") {
		switch {
		case line == "\n": // the blank line after a list, or after a heading
			flush()
		case strings.HasPrefix(line, "#"):
			line = "##" + line
		case strings.HasPrefix(line, "- ") && perClass > 0:
			if listed == perClass {
				hidden++
				continue
			}
			listed++
		}
		b.WriteString(line)
	}
	flush()
	return b.String(), nil
}
