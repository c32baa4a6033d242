// Package tools is a nested module of the larger repository (not part of the plugin's module).
package tools
