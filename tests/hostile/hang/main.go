// Package main is a hostile kustomize Go plugin (test set only): Generate never returns.
// It ignores the polite signals, leaves a detached `sleep 3141` behind (its own session,
// so killing kustomize's process group does not reach it) and floods stderr meanwhile.
package main

import (
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"sigs.k8s.io/kustomize/api/resmap"
)

type plugin struct{}

// KustomizePlugin is the symbol kustomize looks up in the .so file.
var KustomizePlugin plugin //nolint:unused

func (p *plugin) Config(_ *resmap.PluginHelpers, _ []byte) error { return nil }

func (p *plugin) Generate() (resmap.ResMap, error) {
	signal.Ignore(syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	orphan := exec.Command("sleep", "3141")
	orphan.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	_ = orphan.Start()
	line := strings.Repeat("hang ", 200) + "\n"
	chunk := strings.Repeat(line, 1<<20/len(line))
	for {
		os.Stderr.WriteString(chunk)
		time.Sleep(50 * time.Millisecond)
	}
}
