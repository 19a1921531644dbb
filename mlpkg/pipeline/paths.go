package pipeline

import (
	"os"
	"path/filepath"
)

// DataEnv is the environment variable that, when set, replaces
// DefaultNotebookRoot as the data folder of the notebooks.
const DataEnv = "ANIMALCNN_DATA"

// DefaultNotebookRoot is the data folder as seen from notebooks/ (a notebook's
// kernel runs in the notebook's folder).
const DefaultNotebookRoot = "../data"

// QuickDir is the sub-folder of the data folder that quick runs use, so that
// tests never touch a person's real data.
const QuickDir = "quick"

// Paths are the folders of one data root, in the layout of data/README.md.
type Paths struct {
	// Root is the data folder itself, e.g. "../data".
	Root string
	// Images holds the photos, one sub-folder per class (Root/images).
	Images string
	// Processed receives the prepared arrays (Root/processed).
	Processed string
	// Checkpoint is the training run's directory (Root/checkpoints/cnn).
	Checkpoint string
	// Scratch is for demonstrations that must not touch the real data: the
	// Flickr stand-in crawl and the exclusion example (Root/scratch).
	Scratch string
}

// NewPaths returns the layout under root.
func NewPaths(root string) Paths {
	return Paths{
		Root:       root,
		Images:     filepath.Join(root, "images"),
		Processed:  filepath.Join(root, "processed"),
		Checkpoint: filepath.Join(root, "checkpoints", "cnn"),
		Scratch:    filepath.Join(root, "scratch"),
	}
}

// NotebookPaths returns the folders the notebooks use: $ANIMALCNN_DATA, or
// else ../data; in quick mode, its quick/ sub-folder instead.
func NotebookPaths(quick bool) Paths {
	root := os.Getenv(DataEnv)
	if root == "" {
		root = DefaultNotebookRoot
	}
	if quick {
		root = filepath.Join(root, QuickDir)
	}
	return NewPaths(root)
}
