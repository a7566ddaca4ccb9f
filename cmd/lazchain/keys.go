package main

import "github.com/spf13/cobra"

// Placeholder until the keys commands land; owned by the keys work.
func newKeysCmd() *cobra.Command {
	return &cobra.Command{Use: "keys", Short: "Manage account keys"}
}
