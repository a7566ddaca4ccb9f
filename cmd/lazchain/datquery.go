package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lazchain/lazchain/client"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/dat"
)

func newQueryDATCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "dat", Short: "DAT classes, tokens, pending revenue and lineage"}

	class := newShowCmd("class CLASS", "A class with its ownership certificate", "CLASS", (*client.Client).DATClass, printClass)

	var cpage pageFlags
	var byIDAO uint64
	classes := &cobra.Command{
		Use: "classes", Short: "List classes in id order (--idao for one iDAO's)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			after, err := cpage.afterID()
			if err != nil {
				return err
			}
			c, err := dial(cmd)
			if err != nil {
				return err
			}
			r, err := c.DATClasses(cmd.Context(), byIDAO, after, cpage.limit, heightFlag(cmd))
			if err != nil {
				return err
			}
			return emitProto(cmd, r, func(w io.Writer) {
				if len(r.Classes) == 0 {
					fmt.Fprintln(w, "no classes")
				}
				for _, k := range r.Classes {
					fmt.Fprintf(w, "%4d  %-28s iDAO %-4d tokens %-6d share %-8d revenue %s ulaz\n", k.Id, k.Name, k.Idao, k.Tokens, k.TotalShare, k.Revenue)
				}
				if r.Next != 0 {
					fmt.Fprintf(w, "more: --after %d\n", r.Next)
				}
			})
		},
	}
	cpage.register(classes, "last class id of the previous page")
	classes.Flags().Uint64Var(&byIDAO, "idao", 0, "only the classes of this iDAO")

	token := newShowCmd("token TOKEN", "A token: owner, value, share, expiry, pending revenue, usage", "TOKEN", (*client.Client).DATToken,
		func(w io.Writer, r *dat.QueryTokenResponse) {
			t := r.Token
			fmt.Fprintf(w, "token %d of class %d, owned by %s\n  value   %d units\n  share   %d\n  pending %s\n  expiry  %s\n",
				t.Id, t.Class, t.Owner, t.Value, t.ShareRatio, ulazText(r.Pending), expiryText(t, r.Expired))
			for _, u := range r.Usage {
				fmt.Fprintf(w, "  used    %d units of %s\n", u.Amount, u.Metric)
			}
			if t.IntegrityHash != "" {
				fmt.Fprintf(w, "  content %s (commitment to the data it anchors)\n", t.IntegrityHash)
			}
		})

	var tpage pageFlags
	var owner string
	var ofClass uint64
	tokens := &cobra.Command{
		Use: "tokens", Short: "Tokens of an owner (--owner) or of a class (--class)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if (owner == "") == (ofClass == 0) {
				return fmt.Errorf("give exactly one of --owner ADDRESS and --class ID")
			}
			q := dat.TokensQuery{Class: ofClass, Limit: tpage.limit}
			var err error
			if q.After, err = tpage.afterID(); err != nil {
				return err
			}
			if owner != "" {
				a, err := resolveAddress(cmd, owner)
				if err != nil {
					return fmt.Errorf("--owner: %w", err)
				}
				q.Owner = a.String()
			}
			c, err := dial(cmd)
			if err != nil {
				return err
			}
			r, err := c.DATTokens(cmd.Context(), q, heightFlag(cmd))
			if err != nil {
				return err
			}
			return emitProto(cmd, r, func(w io.Writer) {
				if len(r.Tokens) == 0 {
					fmt.Fprintln(w, "no tokens")
				}
				for _, t := range r.Tokens {
					exp := ""
					if t.Expired {
						exp = " (expired)"
					}
					fmt.Fprintf(w, "%6d  class %-4d owner %s value %-8d share %d%s\n", t.Id, t.Class, t.Owner, t.Value, t.ShareRatio, exp)
				}
				if r.Next != 0 {
					fmt.Fprintf(w, "more: --after %d\n", r.Next)
				}
			})
		},
	}
	tpage.register(tokens, "last token id of the previous page")
	tokens.Flags().StringVar(&owner, "owner", "", "address or key name of the owner")
	tokens.Flags().Uint64Var(&ofClass, "class", 0, "class id")

	var powner string
	var ptoken uint64
	pending := &cobra.Command{
		Use: "pending", Short: "Revenue an owner (--owner) or a token (--token) can claim", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if (powner == "") == (ptoken == 0) {
				return fmt.Errorf("give exactly one of --owner ADDRESS and --token ID")
			}
			var a tx.Address
			if powner != "" {
				var err error
				if a, err = resolveAddress(cmd, powner); err != nil {
					return fmt.Errorf("--owner: %w", err)
				}
			}
			c, err := dial(cmd)
			if err != nil {
				return err
			}
			r, err := c.DATPending(cmd.Context(), a, ptoken, heightFlag(cmd))
			if err != nil {
				return err
			}
			return emitProto(cmd, r, func(w io.Writer) {
				if r.Owner != "" {
					fmt.Fprintf(w, "%s can claim %s\n", r.Owner, ulazText(r.Total))
				} else {
					fmt.Fprintf(w, "claimable: %s\n", ulazText(r.Total))
				}
				for _, t := range r.Tokens {
					fmt.Fprintf(w, "  token %-6d class %-4d %s\n", t.Token, t.Class, ulazText(t.Pending))
				}
			})
		},
	}
	pending.Flags().StringVar(&powner, "owner", "", "address or key name of the owner")
	pending.Flags().Uint64Var(&ptoken, "token", 0, "token id")

	var limit int
	lineage := &cobra.Command{
		Use: "lineage CLASS", Short: "A class's lineage graph: ancestors and descendants with splits", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID("CLASS", args[0])
			if err != nil {
				return err
			}
			c, err := dial(cmd)
			if err != nil {
				return err
			}
			r, err := c.DATLineage(cmd.Context(), id, limit, heightFlag(cmd))
			if err != nil {
				return err
			}
			return emitProto(cmd, r, func(w io.Writer) {
				fmt.Fprintf(w, "lineage of class %d (%d classes, %d edges)\n", r.Class, len(r.Nodes), len(r.Edges))
				for _, n := range r.Nodes {
					rel := "itself"
					switch {
					case n.Distance < 0:
						rel = fmt.Sprintf("ancestor, %d up", -n.Distance)
					case n.Distance > 0:
						rel = fmt.Sprintf("descendant, %d down", n.Distance)
					}
					fmt.Fprintf(w, "  class %-4d %-28s iDAO %-4d %s\n", n.Class, n.Name, n.Idao, rel)
				}
				for _, e := range r.Edges {
					fmt.Fprintf(w, "  %d -> %d  %d bps\n", e.Child, e.Parent, e.SplitBps)
				}
				if r.Truncated {
					fmt.Fprintln(w, "  (more descendants; raise --limit)")
				}
			})
		},
	}
	lineage.Flags().IntVar(&limit, "limit", 1000, "most descendants to return")

	cmd.AddCommand(class, classes, token, tokens, pending, lineage)
	return cmd
}

// ulazText renders a decimal ulaz amount as LAZ with the exact base units.
func ulazText(s string) string {
	n, err := tx.ParseBaseUnits(s)
	if err != nil {
		return s + " ulaz"
	}
	return fmt.Sprintf("%s (%d ulaz)", tx.FormatAmount(n), n)
}

func expiryText(t *dat.Token, expired bool) string {
	var parts []string
	if t.ExpireAtHeight != 0 {
		parts = append(parts, fmt.Sprintf("height %d", t.ExpireAtHeight))
	}
	if t.ExpireAtTime != 0 {
		parts = append(parts, time.Unix(t.ExpireAtTime, 0).UTC().Format(time.RFC3339))
	}
	if len(parts) == 0 {
		return "never"
	}
	s := "at " + strings.Join(parts, " or ")
	if expired {
		s += " (expired)"
	}
	return s
}

func printClass(w io.Writer, r *dat.QueryClassResponse) {
	k := r.Class
	fmt.Fprintf(w, "class %d  %s\n", k.Id, k.Name)
	fmt.Fprintf(w, "  certificate\n    iDAO            %d (%s)\n    creator         %s\n    created         height %d\n    integrity hash  %s\n",
		k.Idao, r.IdaoName, k.Creator, k.CreatedHeight, k.IntegrityHash)
	if k.MetadataUri != "" {
		fmt.Fprintf(w, "    metadata        %s\n", k.MetadataUri)
	}
	if k.PolicyUri != "" {
		fmt.Fprintf(w, "    policy          %s\n", k.PolicyUri)
	}
	for _, p := range k.Parents {
		fmt.Fprintf(w, "    parent          class %d, %d bps of revenue\n", p.Class, p.SplitBps)
	}
	for _, p := range r.Proofs {
		fmt.Fprintf(w, "    proof %-9d %s %s (sha256 %s) by %s at height %d\n", p.Index, p.Type, p.Uri, p.Digest, p.Submitter, p.Height)
	}
	fmt.Fprintf(w, "  tokens %d, total share %d, value held %d, consumed %d (unit decimals %d)\n", k.Tokens, k.TotalShare, k.TotalValue, k.Consumed, k.UnitDecimals)
	fmt.Fprintf(w, "  revenue %s, to its holders %s, claimed %s\n", ulazText(k.Revenue), ulazText(k.Distributed), ulazText(k.Claimed))
	if p := k.GetPolicy(); p != nil && (p.Restricted || len(p.AllowedServices) > 0) {
		fmt.Fprintf(w, "  usage restricted %v, allowed services %s\n", p.Restricted, strings.Join(p.AllowedServices, ", "))
	}
}
