// Package wslib is a library in the plugin author's go.work workspace (its go.mod says
// go 1.27.3, like the workspace's).
package wslib

import "strings"

// Nonce returns the value of the config's `nonce:` line.
func Nonce(config []byte) string {
	for _, line := range strings.Split(string(config), "\n") {
		if line = strings.TrimSpace(line); strings.HasPrefix(line, "nonce:") {
			return strings.Trim(strings.TrimSpace(strings.TrimPrefix(line, "nonce:")), `"'`)
		}
	}
	return ""
}
