package pipeline

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/animalcnn/animalcnn/mlpkg/crawl"
	"github.com/animalcnn/animalcnn/mlpkg/dataset"
	"github.com/animalcnn/animalcnn/mlpkg/fashion"
	"github.com/animalcnn/animalcnn/mlpkg/internal/flagvalue"
	"github.com/animalcnn/animalcnn/mlpkg/model"
	"github.com/animalcnn/animalcnn/mlpkg/train"
)

// Output receives what the pipeline functions say they do (one line per
// step). Tests may replace it.
var Output io.Writer = os.Stdout

// Settings are the choices of one run of the whole pipeline, shared by every
// notebook so that each one prepares and trains the same way.
type Settings struct {
	// Quick marks a quick run (small and fast: tests and smoke runs).
	Quick bool
	// Classes in label order. Fashion-MNIST class names (see fashion.Classes)
	// are imported when missing; other classes must already have photos
	// under Paths.Images (01_crawl, or copied there).
	Classes []string
	// PerClass is how many pictures of each class are imported and used
	// (dataset.Config.MaxPerClass).
	PerClass int
	// ImageSize is the side of the square images the model sees.
	ImageSize int
	// Augment turns on the course's offline augmentation in Prepare: each
	// training photo also rotated and mirrored (dataset.SamplesPerPhoto
	// samples per photo).
	Augment bool
	// Epochs is the total number of training epochs.
	Epochs int
	// Patience stops training early once that many epochs in a row have
	// not improved on the best one (Keras' EarlyStopping; 0: every epoch
	// is trained). See train.Config.Patience.
	Patience int
	// BatchSize is the number of images per training step.
	BatchSize int
	// LearningRate is RMSprop's learning rate (the course's 1e-4). A run
	// resumed with another one goes on with it, and says so.
	LearningRate float64
	// DenseUnits is the width of the hidden dense layer (the course's 512),
	// and ConvDropout and DenseDropout the dropout rates after each pooling
	// and after that layer (0.25 and 0.5). They make another model: a run
	// of another one is not resumed (Train moves it aside).
	DenseUnits                int
	ConvDropout, DenseDropout float64
	// Fresh makes Train start over instead of resuming the run in
	// Paths.Checkpoint.
	Fresh bool
	// CrawlClasses are the classes Crawl downloads from Flickr, each with
	// its search text (crawl.DefaultConfig's: monkey, boar searched as
	// "wild boar", crow). The rest of the pipeline uses their photos once
	// Classes names them.
	CrawlClasses []crawl.Class
}

// ClassesEnv names the environment variable that, when set, replaces the
// default classes of DefaultSettings, e.g. ANIMALCNN_CLASSES=monkey,boar,crow
// for crawled photos: set before starting JupyterLab, it reaches every
// notebook at once.
const ClassesEnv = "ANIMALCNN_CLASSES"

// DefaultSettings returns the settings of a full run (the three footwear
// classes of Fashion-MNIST, 1000 pictures each, 50×50 pixels, 10 epochs:
// about 0.95 test accuracy) or, with quick, of a quick one (200 pictures per
// class, 5 epochs, always trained from scratch). $ANIMALCNN_CLASSES, a
// comma-separated list, replaces the classes.
func DefaultSettings(quick bool) Settings {
	classes := fashion.DefaultClasses()
	if v := strings.TrimSpace(os.Getenv(ClassesEnv)); v != "" {
		classes = flagvalue.Split(v)
	}
	t := train.DefaultConfig()
	s := Settings{
		Quick:        quick,
		Classes:      classes,
		PerClass:     fashion.DefaultPerClass,
		ImageSize:    dataset.DefaultImageSize,
		Epochs:       10,
		BatchSize:    t.BatchSize,
		LearningRate: t.LearningRate,
		DenseUnits:   t.Model.DenseUnits,
		ConvDropout:  t.Model.ConvDropout,
		DenseDropout: t.Model.DenseDropout,
		CrawlClasses: crawl.DefaultConfig().Classes,
	}
	if quick {
		s.PerClass, s.Epochs, s.Fresh = 200, 5, true
	}
	return s
}

// WithClasses returns s for other classes, e.g. crawled ones:
// DefaultSettings(quick).WithClasses("monkey", "boar", "crow").
func (s Settings) WithClasses(classes ...string) Settings {
	s.Classes = slices.Clone(classes)
	return s
}

// String describes the settings in one line.
func (s Settings) String() string {
	mode := "full"
	if s.Quick {
		mode = "quick"
	}
	epochs := fmt.Sprintf("%d epochs", s.Epochs)
	if s.Patience > 0 {
		epochs += fmt.Sprintf(" (patience %d)", s.Patience)
	}
	return fmt.Sprintf("%s run: classes %v, %d pictures per class, %d×%d pixels, augmentation %v, %s of batch %d, learning rate %g, dense %d, dropout %g and %g",
		mode, s.Classes, s.PerClass, s.ImageSize, s.ImageSize, s.Augment, epochs, s.BatchSize, s.LearningRate, s.DenseUnits, s.ConvDropout, s.DenseDropout)
}

// FashionConfig returns the import settings of the default dataset: the
// Fashion-MNIST classes of s, PerClass pictures each, into p.Images.
func (s Settings) FashionConfig(p Paths) fashion.Config {
	cfg := fashion.DefaultConfig()
	cfg.ImagesDir = p.Images
	cfg.Classes = slices.Clone(s.Classes)
	cfg.PerClass = s.PerClass
	return cfg
}

// CrawlConfig returns the settings of a Flickr crawl of s.CrawlClasses into
// p.Images: the course's 400 photos per class, or quickCrawlPerClass when
// s.Quick.
func (s Settings) CrawlConfig(p Paths) crawl.Config {
	cfg := crawl.DefaultConfig()
	cfg.ImagesDir = p.Images
	cfg.Classes = slices.Clone(s.CrawlClasses)
	if s.Quick {
		cfg.PerClass = quickCrawlPerClass
	}
	return cfg
}

// PrepareConfig returns the settings of dataset.Prepare: p.Images to
// p.Processed, the course's split, with s's classes, size, cap and augmentation.
func (s Settings) PrepareConfig(p Paths) dataset.Config {
	cfg := dataset.DefaultConfig()
	cfg.ImagesDir, cfg.DataDir = p.Images, p.Processed
	cfg.Classes = slices.Clone(s.Classes)
	cfg.ImageSize = s.ImageSize
	cfg.MaxPerClass = s.PerClass
	cfg.Augment = s.Augment
	return cfg
}

// TrainConfig returns the settings of train.Train: the course's recipe,
// p.Processed to p.Checkpoint, with s's epochs, patience, batch size,
// learning rate, model (ModelConfig) and Fresh.
func (s Settings) TrainConfig(p Paths) train.Config {
	cfg := train.DefaultConfig()
	cfg.DataDir, cfg.CheckpointDir = p.Processed, p.Checkpoint
	cfg.Epochs = s.Epochs
	cfg.BatchSize = s.BatchSize
	cfg.LearningRate = s.LearningRate
	cfg.Patience = s.Patience
	cfg.Model = s.ModelConfig()
	cfg.Fresh = s.Fresh
	return cfg
}

// ModelConfig returns the architecture Train builds for s: the course's CNN
// for s.ImageSize pictures and len(s.Classes) classes, with s's dense layer
// and dropout rates.
func (s Settings) ModelConfig() model.Config {
	cfg := train.DefaultConfig().Model
	cfg.ImageSize, cfg.NumClasses = s.ImageSize, len(s.Classes)
	cfg.DenseUnits, cfg.ConvDropout, cfg.DenseDropout = s.DenseUnits, s.ConvDropout, s.DenseDropout
	return cfg
}
