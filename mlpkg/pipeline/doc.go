// Package pipeline runs the project's stages end to end for the notebooks:
// it knows where each stage keeps its files (Paths), the settings of a full
// and of a quick run (Settings), and makes sure that what a stage needs
// exists, creating it when it does not:
//
//	EnsureImages    the default dataset's pictures (imports Fashion-MNIST)
//	EnsurePrepared  the prepared arrays (runs dataset.Prepare)
//	EnsureModel     a trained checkpoint (trains one)
//
// Each Ensure function is idempotent: when its output is already there and
// fits the settings it only says so; otherwise it makes it for these
// settings, replacing a dataset or model made for others (after
// ANIMALCNN_CLASSES changed, say) and saying so. What fits: pictures of
// each class (EnsureImages); arrays prepared with the settings' classes,
// size, count per class and augmentation (EnsurePrepared); a finished model
// of the settings' classes and size, trained on the data there is
// (EnsureModel: one trained with other epochs, layer sizes or dropout is
// used as it is; Train trains with the settings). That lets every notebook
// run on its own, in a fresh kernel, whatever ran before.
//
// The package also holds the few helpers that would make notebook cells
// long: the Flickr stand-in crawl, tables and image galleries built from
// results (shown with package display), the evaluation saved between cells,
// and a multipart upload to the web server. Functions that narrate what they
// do write to Output.
package pipeline
