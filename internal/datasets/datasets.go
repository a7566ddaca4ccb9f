// Package datasets embeds small public datasets (UCI Iris and Wine, in the
// tabular pool format) for the devnet's demo pool and for tests, so they
// work on a machine with nothing but the repository.
package datasets

import (
	"bytes"
	_ "embed"
)

// Iris is the UCI Iris dataset: 150 rows, 4 features, 3 labels.
//
//go:embed iris.jsonl
var Iris []byte

// Wine is the UCI Wine dataset: 178 rows, 13 features, 3 labels.
//
//go:embed wine.jsonl
var Wine []byte

// Lines splits a JSON Lines dataset into its lines (without newlines).
func Lines(data []byte) [][]byte {
	var out [][]byte
	for _, l := range bytes.Split(data, []byte("\n")) {
		if len(bytes.TrimSpace(l)) > 0 {
			out = append(out, l)
		}
	}
	return out
}

// Join joins lines into a JSON Lines file.
func Join(lines [][]byte) []byte {
	return append(bytes.Join(lines, []byte("\n")), '\n')
}
