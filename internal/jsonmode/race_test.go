//go:build race

package jsonmode

// The race detector's instrumentation moves some values to the heap, so
// allocation counts are only checked without it.
func init() { raceEnabled = true }
