package main

import (
	"flag"
	"fmt"

	"github.com/animalcnn/animalcnn/mlpkg/backend"
)

func init() {
	register(&command{
		name:    "backends",
		usage:   "",
		summary: "list the GoMLX backends installed here and how to install the others",
		run:     runBackends,
	})
}

func runBackends(fs *flag.FlagSet, args []string) error {
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	def := backend.Default()
	for _, in := range backend.Available() {
		mark := " "
		if in.Name == def {
			mark = "*"
		}
		state := "installed"
		if in.Path != "" {
			state += " " + in.Path
		}
		if !in.Installed {
			state = "missing: " + in.Note
			if in.Install != "" {
				state += " (install: " + in.Install + ")"
			}
		}
		fmt.Printf("%s %-9s %s\n", mark, in.Name, state)
	}
	fmt.Println("* = used when no -backend flag or GOMLX_BACKEND is given")
	return nil
}
