// Package ckpt loads GoMLX checkpoints (package checkpoints) that a crash or
// an edit may have damaged: as errors, never as panics or as allocations of
// terabytes. Packages model and train load through it.
package ckpt

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/ml/context/checkpoints"
)

// Load runs cfg.Done(), GoMLX's loading of the checkpoint in the folder
// snap (cfg is configured with Dir(snap)), for a folder that a crash or an
// edit may have damaged. GoMLX makes each variable as the checkpoint's
// JSON file describes it before it reads its data, and panics at a shape it
// cannot make: a dimension of 2^40 written in a few bytes would end the
// program for want of memory, a negative one or an unknown type would crash
// it. So the JSON file GoMLX loads is checked first against the data file
// beside it, and what GoMLX still panics at is an error.
func Load(snap string, cfg *checkpoints.Config) (h *checkpoints.Handler, err error) {
	defer func() {
		if r := recover(); r != nil {
			h, err = nil, fmt.Errorf("damaged checkpoint: %v", r)
		}
	}()
	if err := checkSizes(snap); err != nil {
		return nil, err
	}
	return cfg.Done()
}

// GoMLX's checkpoint files: Prefix*.json, the latest (last in name order)
// being the one loaded, beside its .bin data file, which starts with
// gzipHeader when it is compressed.
const (
	Prefix     = "checkpoint-"
	gzipHeader = "gomlx_checkpoints\x04gzip"
	// MaxInflation bounds the bytes that one byte of deflate data inflates
	// to (1032, deflate's limit, rounded up).
	MaxInflation = 1040
)

// Variable is a variable as a checkpoint's JSON file describes it.
type Variable struct {
	// ParameterName is GoMLX's name for it ("var:/model/conv1/weights").
	ParameterName string
	Dimensions    []int
	DType         dtypes.DType
	// Length is the bytes of its data in the .bin file.
	Length int
}

// Latest returns the latest checkpoint in dir, the one GoMLX loads, as its
// files' path without ".json" or ".bin"; "" when dir holds none.
func Latest(dir string) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	var bases []string // as GoMLX lists them
	for _, e := range entries {
		if name := e.Name(); strings.HasPrefix(name, Prefix) && strings.HasSuffix(name, ".json") {
			bases = append(bases, strings.TrimSuffix(name, ".json"))
		}
	}
	if len(bases) == 0 {
		return "", nil
	}
	return filepath.Join(dir, slices.Max(bases)), nil
}

// ReadVariables reads the variables that the checkpoint base (see Latest)
// lists in its JSON file. Its errors name the file.
func ReadVariables(base string) ([]Variable, error) {
	f, err := os.Open(base + ".json")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var meta struct{ Variables []Variable }
	if err := json.NewDecoder(f).Decode(&meta); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Base(base)+".json", err)
	}
	return meta.Variables, nil
}

// checkSizes checks the variables of the latest checkpoint in snap (see
// Load): no negative dimension, a known type, each the bytes its shape
// takes, and all of them no more than the data file can hold. Its errors
// name the file, not the folder. Folders without a checkpoint, or without
// its data file, are left to GoMLX to report. It panics on a type GoMLX does
// not know, as GoMLX would.
func checkSizes(snap string) error {
	base, err := Latest(snap)
	if err != nil || base == "" {
		return nil
	}
	bin, err := os.Open(base + ".bin")
	if err != nil {
		return nil
	}
	defer bin.Close()
	st, err := bin.Stat()
	if err != nil {
		return nil
	}
	budget := st.Size()
	head := make([]byte, len(gzipHeader))
	if n, _ := bin.ReadAt(head, 0); n == len(head) && string(head) == gzipHeader {
		budget *= MaxInflation
	}
	vars, err := ReadVariables(base)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	jsonName, binName := filepath.Base(base)+".json", filepath.Base(base)+".bin"
	for _, v := range vars {
		size := int64(v.DType.Size())
		if size <= 0 {
			return fmt.Errorf("%s: variable %s of type %s, which a checkpoint cannot hold (damaged)", jsonName, v.ParameterName, v.DType)
		}
		for _, d := range v.Dimensions {
			switch {
			case d < 0:
				return fmt.Errorf("%s: variable %s has a negative dimension, %v (damaged)", jsonName, v.ParameterName, v.Dimensions)
			case d > 0 && size > budget/int64(d): // size*d > budget, without overflow
				return fmt.Errorf("%s: variable %s of shape %v takes more than the %d bytes of data in %s (damaged)", jsonName, v.ParameterName, v.Dimensions, st.Size(), binName)
			}
			size *= int64(d)
		}
		if int64(v.Length) != size {
			return fmt.Errorf("%s: variable %s of shape %v and type %s takes %d bytes, not the %d recorded (damaged)", jsonName, v.ParameterName, v.Dimensions, v.DType, size, v.Length)
		}
		budget -= size
	}
	return nil
}
