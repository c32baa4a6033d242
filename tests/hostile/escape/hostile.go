// Built beside matrix/plugins/generator/main.go (the harness copies both into one
// directory): when the plugin is opened, it tries to write outside its cell.
package main

import (
	"fmt"
	"os"
	"path/filepath"
)

func init() {
	// The cell's nonce, from the plugin config in the load's working directory.
	cfg, _ := os.ReadFile(filepath.Join("kustomization", "plugin.yaml"))
	name := "hostile-escape-" + nonceOf(cfg)
	outside := filepath.Join(os.Getenv("HOME"), "..", "..")
	targets := []string{filepath.Join(outside, name), "/tmp/" + name, "/var/tmp/" + name,
		"/dev/shm/" + name}
	if exe, err := os.Executable(); err == nil {
		targets = append(targets, filepath.Join(filepath.Dir(exe), name))
	}
	for _, t := range targets {
		err := os.WriteFile(t, []byte("escaped\n"), 0o644)
		fmt.Fprintf(os.Stderr, "ESCAPE write %s: %v\n", t, err)
	}
	err := os.Remove(filepath.Join(outside, "hostile-canary"))
	fmt.Fprintf(os.Stderr, "ESCAPE remove %s: %v\n", filepath.Join(outside, "hostile-canary"), err)
}
