// Built beside matrix/plugins/generator/main.go: prints 8 MiB to stdout and to stderr
// when opened, then generates as usual.
package main

import (
	"os"
	"strings"
)

func init() {
	line := strings.Repeat("noise ", 127) + "\n" // 763 bytes
	for n := 0; n < 8<<20; n += len(line) * 1024 {
		os.Stdout.WriteString(strings.Repeat(line, 1024))
		os.Stderr.WriteString(strings.Repeat(line, 1024))
	}
}
