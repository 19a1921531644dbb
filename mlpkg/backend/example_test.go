package backend_test

import (
	"errors"
	"flag"
	"fmt"
	"log"
	"slices"

	"github.com/animalcnn/animalcnn/mlpkg/backend"
)

// Choosing a backend by name, as the --backend flag does. The pure-Go
// backend is always there; backend.New("") picks the fastest one installed
// ($GOMLX_BACKEND first).
func ExampleNew() {
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	spec := backend.RegisterFlag(fs)
	if err := fs.Parse([]string{"--backend", "go"}); err != nil {
		log.Fatal(err)
	}
	b, err := backend.New(*spec)
	if err != nil {
		log.Fatal(err) // it lists the backends installed and how to install the others
	}
	defer b.Finalize()
	fmt.Println(backend.Name(b))

	_, err = backend.New("tpu")
	fmt.Println(errors.Is(err, backend.ErrNotAvailable), errors.Is(err, backend.ErrUnknownBackend))
	// Output:
	// go
	// true true
}

// Listing the backends, fastest first, and which are installed on this
// machine (the CLI's "backends" command prints each with in.Details(): its
// plugin file, or how to install it).
func ExampleAvailable() {
	var names, installed []string
	for _, in := range backend.Available() {
		names = append(names, in.Name)
		if in.Installed {
			installed = append(installed, in.Name)
		}
	}
	fmt.Println(names)
	// installed depends on the machine, e.g. [xla:cpu go]; the pure-Go
	// backend is always among them, and backend.Default() names the one
	// backend.New("") would pick.
	fmt.Println(slices.Contains(installed, backend.Go))
	// Output:
	// [xla:cuda xla:cpu go]
	// true
}
