// Command wrap opens a Go plugin the way kustomize does, and shows how a host can add
// a link to the page that explains a plugin.Open error:
//
//	plugin.Open("/p/Foo.so"): /p/Foo.so: wrong ELF class: ELFCLASS32
//	(see https://kustomize-plugin-matrix.github.io/errors/elf-mismatch/)
//
// Standard library only. Usage: wrap PLUGIN.so
package main

import (
	"errors"
	"fmt"
	"os"
	"plugin"
	"strings"
)

// ErrorPages is where every error class has its page: ErrorPages + slug + "/".
const ErrorPages = "https://kustomize-plugin-matrix.github.io/errors/"

// errorClasses maps a distinctive part of a plugin.Open error to its class, most
// specific first. The full catalog, with regular expressions that Go's regexp accepts,
// is published at https://kustomize-plugin-matrix.github.io/errors.json.
var errorClasses = []struct{ text, slug string }{
	{"(previous failure)", "previous-failure"},
	{"realpath failed", "plugin-file-missing"},
	{"plugin: not implemented", "plugin-not-implemented"},
	{"wrong ELF class", "elf-mismatch"},
	{"invalid ELF header", "elf-mismatch"},
	{"file too short", "elf-mismatch"},
	{"incompatible architecture", "elf-mismatch"},
	{"version `GLIBC_", "missing-shared-library"},
	{"undefined symbol:", "symbol-not-found"},
	{"plugin was built with a different version of package", "package-version-mismatch"},
	{"plugin already loaded", "plugin-already-loaded"},
}

// PluginError is a plugin.Open error together with the page that explains it.
type PluginError struct {
	Err error
	URL string
}

func (e *PluginError) Error() string { return e.Err.Error() + " (see " + e.URL + ")" }
func (e *PluginError) Unwrap() error { return e.Err }

// Explain returns the page for a plugin.Open error, or "" for an error it does not know.
func Explain(err error) string {
	msg := err.Error()
	for _, c := range errorClasses {
		if strings.Contains(msg, c.text) {
			return ErrorPages + c.slug + "/"
		}
	}
	return ""
}

// Open is plugin.Open with the link to the explaining page added to its error.
// (A plugin built by another Go release can abort the process inside plugin.Open with
// "fatal error: runtime: no plugin module data": no wrapper can catch that one.)
func Open(path string) (*plugin.Plugin, error) {
	p, err := plugin.Open(path)
	if err != nil {
		if url := Explain(err); url != "" {
			return nil, &PluginError{Err: err, URL: url}
		}
		return nil, err
	}
	return p, nil
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: wrap PLUGIN.so")
		os.Exit(2)
	}
	p, err := Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		var pe *PluginError
		if !errors.As(err, &pe) {
			fmt.Fprintln(os.Stderr, "(not a known class: try `plugin-matrix explain`)")
		}
		os.Exit(1)
	}
	if _, err := p.Lookup("KustomizePlugin"); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err, "(see "+ErrorPages+"wrong-plugin-interface/)")
		os.Exit(1)
	}
	fmt.Println("loaded", os.Args[1])
}
