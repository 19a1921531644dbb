package model

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/animalcnn/animalcnn/mlpkg/internal/atomicfile"
	"github.com/animalcnn/animalcnn/mlpkg/internal/fserr"
)

// MetaFile is the name of the metadata file written next to the checkpoints
// in a checkpoint directory. Prediction needs only that directory.
const MetaFile = "model.json"

// Normalization is how the model scales its uint8 RGB input; it is applied
// inside the model's graph, so training, prediction and serving cannot disagree.
const Normalization = "rgb/255"

// Meta describes a trained model: everything needed to use a checkpoint
// without the training data or flags.
type Meta struct {
	// ModelID identifies the training run (NewID: directory name plus start
	// time).
	ModelID string `json:"model_id"`
	// Classes in label order: output i of the model is Classes[i].
	Classes []string `json:"classes"`
	// DisplayNames optionally maps a language tag to class display names,
	// e.g. {"ja": {"monkey": "サル"}}.
	DisplayNames map[string]map[string]string `json:"display_names,omitempty"`
	// ImageSize is the square input size in pixels (images are ImageSize×ImageSize×3).
	ImageSize int `json:"image_size"`
	// Normalization names the input scaling (see the Normalization constant).
	Normalization string `json:"normalization"`
	// Architecture is the model configuration the weights belong to.
	Architecture *Config `json:"architecture,omitempty"`
	// Hyperparameters are the training configuration, by name.
	Hyperparameters map[string]any `json:"hyperparameters,omitempty"`
	// DatasetHash identifies the prepared dataset the model was trained on.
	DatasetHash string `json:"dataset_hash,omitempty"`
	// Backend is the GoMLX backend the model was trained on (e.g. "go", "xla:cpu").
	Backend string `json:"backend,omitempty"`
	// Created is when training started.
	Created time.Time `json:"created"`
	// Metrics holds the run's figures: "epochs", "train_loss" and
	// "images_per_second" of the last epoch trained;
	// "best_epoch" with its "val_loss" and "val_accuracy" (the model in
	// best/); and "test_loss" and "test_accuracy" of that best model on the
	// test split, once training ends.
	Metrics map[string]float64 `json:"metrics,omitempty"`
}

// DefaultLanguage is the language of the class names themselves. Display
// names in it (e.g. {"en": {"ankle_boot": "ankle boot"}}) stand in for the
// names another language lacks.
const DefaultLanguage = "en"

// DisplayName returns the display name of class in language lang (see
// HasDisplayNames), else in DefaultLanguage, else the class name itself.
func (m *Meta) DisplayName(class, lang string) string {
	if n := m.displayNames(lang)[class]; n != "" {
		return n
	}
	if n := m.displayNames(DefaultLanguage)[class]; n != "" {
		return n
	}
	return class
}

// HasDisplayNames reports whether the metadata has display names for
// language tag lang: under lang itself or, for a regional tag such as
// "ja-JP", under its language ("ja"), in any letter case.
func (m *Meta) HasDisplayNames(lang string) bool { return m.displayNames(lang) != nil }

// displayNames returns the display names for lang (see HasDisplayNames).
func (m *Meta) displayNames(lang string) map[string]string {
	if lang == "" {
		return nil
	}
	if names, ok := m.DisplayNames[lang]; ok {
		return names
	}
	base, _, _ := strings.Cut(strings.ReplaceAll(lang, "_", "-"), "-")
	if names, ok := m.DisplayNames[base]; ok {
		return names
	}
	for l, names := range m.DisplayNames {
		if strings.EqualFold(l, lang) || strings.EqualFold(l, base) {
			return names
		}
	}
	return nil
}

// ModelConfig returns the architecture the metadata records (the course's,
// DefaultConfig, for a model.json of a version that did not record it),
// for its classes and image size, and checks it.
func (m *Meta) ModelConfig() (Config, error) {
	cfg := DefaultConfig(len(m.Classes))
	if m.Architecture != nil {
		cfg = *m.Architecture
	}
	cfg.NumClasses, cfg.ImageSize = len(m.Classes), m.ImageSize
	return cfg, cfg.Validate()
}

// Save writes the metadata to dir/model.json atomically (temporary file + rename).
func (m *Meta) Save(dir string) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("encode model metadata: %w", err)
	}
	return atomicfile.WriteFile(filepath.Join(dir, MetaFile), append(b, '\n'), 0o644)
}

// NewID returns the model ID of a run trained in the checkpoint directory
// dir and started at t: dir's name and t in UTC, e.g. "cnn-20261207T101500Z".
func NewID(dir string, t time.Time) string {
	return filepath.Base(filepath.Clean(dir)) + "-" + t.UTC().Format("20060102T150405Z")
}

// LoadMeta reads dir/model.json.
func LoadMeta(dir string) (*Meta, error) {
	b, err := os.ReadFile(filepath.Join(dir, MetaFile))
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) { // ENOTDIR: dir is a file
		return nil, fmt.Errorf("%s is not a checkpoint directory (%s: %w): train a model first, or give the directory a model was trained into", dir, MetaFile, fserr.WithoutPath(err))
	}
	if err != nil {
		return nil, fmt.Errorf("load model metadata: %w", err)
	}
	m := &Meta{}
	if err := json.Unmarshal(b, m); err != nil {
		return nil, fmt.Errorf("load model metadata %s: %w", filepath.Join(dir, MetaFile), err)
	}
	if len(m.Classes) < 2 || m.ImageSize <= 0 {
		return nil, fmt.Errorf("load model metadata %s: needs at least 2 classes and a positive image size", filepath.Join(dir, MetaFile))
	}
	seen := make(map[string]bool, len(m.Classes))
	for _, c := range m.Classes {
		if c == "" || seen[c] {
			return nil, fmt.Errorf("load model metadata %s: class names must be distinct and not empty, got %q", filepath.Join(dir, MetaFile), m.Classes)
		}
		seen[c] = true
	}
	return m, nil
}
