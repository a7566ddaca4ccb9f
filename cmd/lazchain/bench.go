package main

import "github.com/spf13/cobra"

// Placeholder until the benchmark lands; owned by the bench work.
func newBenchCmd() *cobra.Command {
	return &cobra.Command{Use: "bench", Short: "Measure the node's throughput"}
}
