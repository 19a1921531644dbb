// Package notebooks holds what the notebooks share: their settings. Edit
// Settings below to change the crawl, the dataset, the preprocessing or the
// training of every notebook at once (01 to 06 read it each time a cell
// runs).
package notebooks

import "github.com/animalcnn/animalcnn/mlpkg/pipeline"

// Settings returns the notebooks' settings: the course's
// (pipeline.DefaultSettings, on the built-in Fashion-MNIST classes), with the
// changes written below, which win over $ANIMALCNN_CLASSES. In quick mode
// (ANIMALCNN_QUICK=1: the notebook tests) the changes are left out: the
// tests run small and fast whatever is set here.
func Settings(quick bool) pipeline.Settings {
	s := pipeline.DefaultSettings(quick)
	if quick {
		return s
	}
	// Your changes. Uncomment or add lines, save, and run the cells again:
	//
	// s.Classes = []string{"monkey", "boar", "crow"} // the crawled photos of 01_crawl
	// s.PerClass = 500                               // pictures per class (imported and used)
	// s.Augment = true                               // the course's rotations and mirror images (02)
	// s.Epochs = 20                                  // train longer (03 resumes a run)
	// s.LearningRate = 1e-3                          // the course's is 1e-4
	// s.Patience = 3                                 // stop after 3 epochs without a better one
	//
	// What 01_crawl downloads from Flickr (by default monkey, boar searched as
	// "wild boar", and crow), with import "github.com/animalcnn/animalcnn/mlpkg/crawl":
	//
	// s.CrawlClasses = []crawl.Class{{Name: "cat"}, {Name: "dog", Query: "puppy"}}
	return s
}
