package main

import (
	"flag"
	"fmt"
	"os"

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
		if !in.Installed {
			state = "missing"
		}
		if d := in.Details(); d != "" {
			state += ": " + d
		}
		fmt.Printf("%s %-9s %s\n", mark, in.Name, state)
	}
	env := os.Getenv(backend.EnvBackend)
	switch {
	case env == "":
		fmt.Println("* = used when no -backend flag or " + backend.EnvBackend + " is given")
	case def == "":
		return fmt.Errorf("%s=%s names no backend installed here: the commands that use one fail while it is set", backend.EnvBackend, env)
	default:
		fmt.Printf("* = used when no -backend flag is given (%s=%s)\n", backend.EnvBackend, env)
	}
	return nil
}
