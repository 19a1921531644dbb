// Command animalcnn runs the project's pipeline without Jupyter: import the
// default dataset, crawl Flickr, prepare arrays, train, evaluate, predict and
// serve. Run "animalcnn help" for the list of subcommands and
// "animalcnn <subcommand> -h" for each one's flags.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"sort"
	"strings"
	"syscall"

	"github.com/animalcnn/animalcnn/mlpkg/backend"
	"github.com/animalcnn/animalcnn/mlpkg/internal/memlimit"
	"github.com/animalcnn/animalcnn/mlpkg/predict"
)

// command is one subcommand. Each lives in its own file and registers itself
// from an init function with register.
type command struct {
	name    string
	usage   string // arguments after the name, e.g. "[flags] FILE..."
	summary string // one line for the help listing
	// run defines its flags on fs (made by newFlagSet for this command),
	// parses args with it and does the work. Errors are printed as one line
	// by main.
	run func(fs *flag.FlagSet, args []string) error
}

var commands = map[string]*command{}

func register(c *command) { commands[c.name] = c }

// newFlagSet returns a FlagSet for c whose -h prints the usage line, the
// summary and every flag with its default.
func newFlagSet(c *command) *flag.FlagSet {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	fs.Usage = func() {
		out := fs.Output()
		fmt.Fprintf(out, "usage: %s\n\n%s\n", strings.TrimSpace("animalcnn "+c.name+" "+c.usage), c.summary)
		hasFlags := false
		fs.VisitAll(func(*flag.Flag) { hasFlags = true })
		if hasFlags {
			fmt.Fprintln(out, "\nflags:")
			fs.PrintDefaults()
		}
	}
	return fs
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: animalcnn <subcommand> [flags] [args]\n\nsubcommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-14s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun \"animalcnn <subcommand> -h\" for its flags.")
}

func main() {
	// Subcommands print their own progress; library logs show from warnings up.
	slog.SetDefault(quietLogger())
	os.Exit(run(os.Args[1:]))
}

// quietLogger logs warnings and errors only, to stderr, as plain lines
// (noteHandler): the CLI prints its own progress.
func quietLogger() *slog.Logger {
	return slog.New(newNoteHandler(os.Stderr))
}

// run dispatches to a subcommand and returns the process exit code.
func run(args []string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		if len(args) > 1 {
			c, ok := commands[args[1]]
			if !ok {
				return unknownSubcommand(args[1])
			}
			// The subcommand defines its flags, then stops at -h.
			fs := newFlagSet(c)
			if err := c.run(fs, []string{"-h"}); !errors.Is(err, flag.ErrHelp) {
				fmt.Fprintf(os.Stderr, "animalcnn help %s: %v\n", c.name, err)
				return 1
			}
			return 0
		}
		if len(args) == 0 { // a usage error
			usage(os.Stderr)
			return 2
		}
		usage(os.Stdout)
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		return unknownSubcommand(args[0])
	}
	if err := c.run(newFlagSet(c), args[1:]); err != nil {
		var ue usageError
		switch {
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.As(err, &ue):
			// parseFlags has already printed it.
			return 2
		case errors.As(err, new(argsError)) || errors.Is(err, backend.ErrUnknownBackend):
			fmt.Fprintf(os.Stderr, "animalcnn %s: %s\n", c.name, trimName(c.name, err.Error()))
			return 2
		case errors.As(err, new(interruptedError)):
			fmt.Fprintf(os.Stderr, "animalcnn %s: %s\n", c.name, err)
			return exitInterrupted
		}
		fmt.Fprintf(os.Stderr, "animalcnn %s: %s\n", c.name, trimName(c.name, err.Error()))
		return 1
	}
	return 0
}

func unknownSubcommand(name string) int {
	if near := nearestCommand(name); near != "" {
		fmt.Fprintf(os.Stderr, "animalcnn: unknown subcommand %q; did you mean %q?\n", name, near)
	} else {
		fmt.Fprintf(os.Stderr, "animalcnn: unknown subcommand %q\n", name)
	}
	usage(os.Stderr)
	return 2
}

// nearestCommand returns the subcommand name nearest to name (see nearest).
func nearestCommand(name string) string {
	names := make([]string, 0, len(commands))
	for c := range commands {
		names = append(names, c)
	}
	return nearest(strings.ToLower(name), names)
}

// nearest returns the candidate within two edits (insertions, deletions,
// substitutions or swaps of neighbours) of name, the nearest and then the
// first in alphabetical order; "" when there is none.
func nearest(name string, candidates []string) string {
	best, bestDist := "", 3
	for _, c := range candidates {
		if d := editDistance(name, c); d < bestDist || d == bestDist && c < best {
			best, bestDist = c, d
		}
	}
	return best
}

// editDistance is the optimal string alignment distance between a and b:
// the Levenshtein distance with swaps of neighbouring letters as one edit.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range rb {
		d[0][j+1] = j + 1
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

// trimName drops a leading "name: " from msg: library errors start with
// their package's name, which is often the subcommand's own ("animalcnn
// train: train: …" would say it twice).
func trimName(name, msg string) string {
	return strings.TrimPrefix(msg, name+": ")
}

// usageError is a command-line parsing error that parseFlags has already
// printed.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// parseFlags parses a subcommand's flags, given before or among its
// arguments ("predict photo.jpg -top 3", as Python's argparse allows; after
// "--" everything is an argument). -h prints the usage on standard output
// and comes back as flag.ErrHelp. A bad flag is printed on standard error
// in a few lines (the error, a mistyped flag's likely name, where the flags
// are listed) and comes back as a usageError.
func parseFlags(fs *flag.FlagSet, args []string) error {
	var out bytes.Buffer // what the flag package prints: shown only for -h
	fs.SetOutput(&out)
	flags, positional := splitArgs(fs, args)
	err := fs.Parse(flags)
	if err == nil {
		// Only to set fs.Args() to the arguments; a flag given last
		// without its value has failed above, not taken this "--".
		err = fs.Parse(append([]string{"--"}, positional...))
	}
	if errors.Is(err, flag.ErrHelp) {
		os.Stdout.Write(out.Bytes())
		return err
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "animalcnn %s: %v\n", fs.Name(), err)
		if name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: -"); ok {
			var names []string
			fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
			if near := nearest(strings.TrimPrefix(name, "-"), names); near != "" {
				fmt.Fprintf(os.Stderr, "did you mean -%s?\n", near)
			}
		}
		fmt.Fprintf(os.Stderr, "Run \"animalcnn %s -h\" for its flags.\n", fs.Name())
		return usageError{err}
	}
	return nil
}

// splitArgs separates the flags of args (each with its value: the next
// argument, for a flag of fs that is not boolean and given without "=")
// from the other arguments, wherever they stand; after "--" all are
// arguments. A lone "-" is an argument.
func splitArgs(fs *flag.FlagSet, args []string) (flags, positional []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return flags, append(positional, args[i+1:]...)
		case len(a) < 2 || a[0] != '-':
			positional = append(positional, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		f := fs.Lookup(name)
		if f == nil {
			continue // unknown: Parse says so
		}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			continue // no value follows
		}
		if i+1 < len(args) {
			i++
			flags = append(flags, args[i])
		}
	}
	return flags, positional
}

// flagsSet reports whether every flag in names was given on the command line.
func flagsSet(fs *flag.FlagSet, names ...string) bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for _, n := range names {
		if !set[n] {
			return false
		}
	}
	return true
}

// argsError is a usage error in the positional arguments (exit 2, as a
// bad flag): run prints it as one line.
type argsError struct{ error }

// interruptedError is a command stopped by Ctrl-C (or SIGTERM) after it
// saved what it could: exit status 130, as a shell reports a command killed
// by Ctrl-C, so that a script tells it from a failure.
type interruptedError struct{ error }

// exitInterrupted is the exit status of an interruptedError.
const exitInterrupted = 130

// parseNoArgs parses a subcommand's flags and rejects positional arguments:
// every setting of those subcommands is a flag.
func parseNoArgs(fs *flag.FlagSet, args []string) error {
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return argsError{fmt.Errorf("unexpected arguments %q (this subcommand takes none; see -h)", fs.Args())}
	}
	return nil
}

// loadPredictor starts the backend named by spec (see package backend) and
// loads the checkpoint directory on it. A directory that holds no model is
// named by its flag, -checkpoint. It sets the soft memory limit of package
// memlimit first: a batch of 64 pictures on the pure-Go backend peaked at
// 1.6 GB without it.
func loadPredictor(checkpoint, spec string) (*predict.Predictor, error) {
	memlimit.Set(0)
	b, err := backend.New(spec)
	if err != nil {
		return nil, err
	}
	p, err := predict.Load(checkpoint, b)
	if err != nil {
		b.Finalize()
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			return nil, fmt.Errorf("-checkpoint: %w", err) // the message names the folder
		}
		return nil, err
	}
	return p, nil
}
