package main

import (
	"bytes"
	"io"
	"log"
	"regexp"
)

// pebbleReplayRE matches the line pebble (CometBFT's database) prints to the
// standard logger for every database it opens after a restart: expected,
// and noise beside the node's own structured logs.
var pebbleReplayRE = regexp.MustCompile(`\[JOB \d+\] WAL file .* replayed \d+ keys in \d+ batches`)

// quietStdLog routes the standard library logger to w, without pebble's WAL
// replay lines; everything else still shows.
func quietStdLog(w io.Writer) {
	log.SetOutput(&dropLines{w: w, re: pebbleReplayRE})
}

type dropLines struct {
	w  io.Writer
	re *regexp.Regexp
}

func (d *dropLines) Write(p []byte) (int, error) {
	if d.re.Match(bytes.TrimSpace(p)) {
		return len(p), nil
	}
	return d.w.Write(p)
}
