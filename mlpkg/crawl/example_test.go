package crawl_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/animalcnn/animalcnn/mlpkg/crawl"
	"github.com/animalcnn/animalcnn/mlpkg/crawl/flickrtest"
	"github.com/animalcnn/animalcnn/mlpkg/curate"
)

// Crawling the offline stand-in for Flickr, as the crawl notebook does, then
// looking for near-duplicates among the photos (package curate).
func ExampleRun() {
	fake := flickrtest.Demo(6)
	apiURL, stop := fake.Start()
	defer stop()
	out, err := os.MkdirTemp("", "crawl-example-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(out)

	cfg := crawl.DefaultConfig()
	cfg.APIURL, cfg.APIKey = apiURL, flickrtest.DemoKey // real use: $FLICKR_API_KEY and Flickr
	cfg.Classes = []crawl.Class{{Name: "monkey"}, {Name: "boar", Query: "wild boar"}, {Name: "crow"}}
	cfg.PerClass = 4
	cfg.ImagesDir = out
	cfg.Interval = 0 // no need to be polite to the stand-in
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	rep, err := crawl.Run(context.Background(), cfg)
	if err != nil {
		panic(err)
	}
	for _, c := range rep.Classes {
		fmt.Printf("%s: %d photos, %d discarded\n", c.Class, c.Kept, len(c.Rejected))
		for _, r := range c.Rejected {
			fmt.Printf("  %s\n", r.Reason)
		}
	}
	groups, err := curate.NearDuplicates(filepath.Join(out, "crow"), 4)
	fmt.Println("near-duplicate groups in crow:", len(groups), err)
	// Output:
	// monkey: 4 photos, 1 discarded
	//   unavailable
	// boar: 4 photos, 0 discarded
	// crow: 4 photos, 1 discarded
	//   duplicate
	// near-duplicate groups in crow: 0 <nil>
}
