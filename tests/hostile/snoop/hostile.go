// Built beside matrix/plugins/generator/main.go: when opened, it reports what it can see
// of the run that loads it (environment, processes, files).
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

func init() {
	for _, kv := range os.Environ() {
		fmt.Fprintf(os.Stderr, "SNOOP env %s\n", kv)
	}
	pids, _ := filepath.Glob("/proc/[0-9]*")
	fmt.Fprintf(os.Stderr, "SNOOP pids %d\n", len(pids))
	// Its own ancestors only (the run that started it), never every process of the machine.
	for pid, n := os.Getppid(), 0; pid > 0 && n < 3; n++ {
		d := fmt.Sprintf("/proc/%d", pid)
		for _, f := range []string{"environ", "cmdline"} {
			b, err := os.ReadFile(filepath.Join(d, f))
			fmt.Fprintf(os.Stderr, "SNOOP %s/%s %s %v\n", d, f, strings.ReplaceAll(string(b), "\x00", " "), err)
		}
		pid = parentOf(pid)
	}
	for _, f := range []string{"/etc/shadow", "/root/.bash_history"} {
		b, err := os.ReadFile(f)
		fmt.Fprintf(os.Stderr, "SNOOP read %s: %d bytes, %v\n", f, len(b), err)
	}
}

func parentOf(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 2 {
		return 0
	}
	var ppid int
	fmt.Sscanf(f[1], "%d", &ppid)
	return ppid
}
