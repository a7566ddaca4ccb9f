package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lazchain/lazchain/client"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/idao"
)

// pageFlags are --after and --limit of a paginated query.
type pageFlags struct {
	after string
	limit int
}

func (p *pageFlags) register(cmd *cobra.Command, afterHelp string) {
	cmd.Flags().StringVar(&p.after, "after", "", afterHelp)
	cmd.Flags().IntVar(&p.limit, "limit", 100, "most entries to return (at most 1000)")
}

func (p *pageFlags) afterID() (uint64, error) {
	if p.after == "" {
		return 0, nil
	}
	return parseUint("--after", p.after)
}

func newQueryIDAOCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "idao", Short: "iDAOs: registry, members, proposals, agreements"}
	var page pageFlags
	list := &cobra.Command{
		Use: "list", Short: "List iDAOs in id order", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			after, err := page.afterID()
			if err != nil {
				return err
			}
			c, err := dial(cmd)
			if err != nil {
				return err
			}
			r, err := c.IDAOs(cmd.Context(), after, page.limit, heightFlag(cmd))
			if err != nil {
				return err
			}
			return emitProto(cmd, r, func(w io.Writer) {
				if len(r.Idaos) == 0 {
					fmt.Fprintln(w, "no iDAOs")
				}
				for _, d := range r.Idaos {
					fmt.Fprintf(w, "%4d  %-24s members %-4d weight %-6d treasury %s\n", d.Id, d.Name, d.Members, d.TotalWeight, d.Treasury)
				}
				if r.Next != 0 {
					fmt.Fprintf(w, "more: --after %d\n", r.Next)
				}
			})
		},
	}
	page.register(list, "last id of the previous page")

	show := &cobra.Command{
		Use: "show IDAO", Short: "An iDAO: treasury, counts and policies (IDAO is an id or a name)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := dial(cmd)
			if err != nil {
				return err
			}
			r, err := idaoByIDOrName(cmd.Context(), c, args[0], heightFlag(cmd))
			if err != nil {
				return err
			}
			return emitProto(cmd, r, func(w io.Writer) {
				d := r.Idao
				bal, _ := tx.ParseBaseUnits(r.TreasuryBalance)
				fmt.Fprintf(w, "iDAO %d  %s\n", d.Id, d.Name)
				if d.Description != "" {
					fmt.Fprintf(w, "  %s\n", d.Description)
				}
				fmt.Fprintf(w, "  creator   %s (height %d)\n  treasury  %s holding %s\n  members   %d (%d admins), total weight %d\n  proposals %d\n  policies\n",
					d.Creator, d.CreatedHeight, d.Treasury, tx.FormatAmount(bal), d.Members, d.Admins, d.TotalWeight, d.NextProposal-1)
				for _, p := range r.Policies {
					def := ""
					if p.Default {
						def = " (default)"
					}
					v := p.Value
					if v == "" {
						v = "(none)"
					}
					fmt.Fprintf(w, "    %-18s %s [%s]%s\n", p.Key, v, p.Type, def)
				}
			})
		},
	}

	var mpage pageFlags
	members := &cobra.Command{
		Use: "members IDAO", Short: "An iDAO's members, roles and weights", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID("IDAO", args[0])
			if err != nil {
				return err
			}
			c, err := dial(cmd)
			if err != nil {
				return err
			}
			r, err := c.Members(cmd.Context(), id, mpage.after, mpage.limit, heightFlag(cmd))
			if err != nil {
				return err
			}
			return emitProto(cmd, r, func(w io.Writer) {
				for _, m := range r.Members {
					fmt.Fprintf(w, "%s  weight %-6d %s\n", m.Address, m.Weight, strings.Join(m.Roles, ","))
				}
				if r.Next != "" {
					fmt.Fprintf(w, "more: --after %s\n", r.Next)
				}
			})
		},
	}
	mpage.register(members, "last address of the previous page")

	var ppage pageFlags
	var status string
	proposals := &cobra.Command{
		Use: "proposals IDAO", Short: "An iDAO's proposals (--status open|closed)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID("IDAO", args[0])
			if err != nil {
				return err
			}
			after, err := ppage.afterID()
			if err != nil {
				return err
			}
			if status != "" && status != "open" && status != "closed" {
				return fmt.Errorf("--status %q: want open or closed (or leave it out for all)", status)
			}
			c, err := dial(cmd)
			if err != nil {
				return err
			}
			r, err := c.Proposals(cmd.Context(), id, status, after, ppage.limit, heightFlag(cmd))
			if err != nil {
				return err
			}
			return emitProto(cmd, r, func(w io.Writer) {
				if len(r.Proposals) == 0 {
					fmt.Fprintln(w, "no proposals")
				}
				for _, p := range r.Proposals {
					printProposal(w, p)
				}
				if r.Next != 0 {
					fmt.Fprintf(w, "more: --after %d\n", r.Next)
				}
			})
		},
	}
	ppage.register(proposals, "last proposal id of the previous page")
	proposals.Flags().StringVar(&status, "status", "", "open or closed (default: all)")

	proposal := &cobra.Command{
		Use: "proposal IDAO PROPOSAL", Short: "One proposal with its actions and votes", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID("IDAO", args[0])
			if err != nil {
				return err
			}
			pid, err := parseID("PROPOSAL", args[1])
			if err != nil {
				return err
			}
			c, err := dial(cmd)
			if err != nil {
				return err
			}
			r, err := c.Proposal(cmd.Context(), id, pid, heightFlag(cmd))
			if err != nil {
				return err
			}
			return emitProto(cmd, r, func(w io.Writer) {
				printProposal(w, r.Proposal)
				fmt.Fprintf(w, "  total weight %d; votes:\n", r.TotalWeight)
				for _, v := range r.Votes {
					fmt.Fprintf(w, "    %s %-7s weight %d (height %d)\n", v.Voter, voteName(v.Option), v.Weight, v.Height)
				}
			})
		},
	}

	agreements := newShowCmd("agreements IDAO", "Agreements an iDAO grants or was granted", "IDAO", (*client.Client).Agreements,
		func(w io.Writer, r *idao.QueryAgreementsResponse) {
			if len(r.Agreements) == 0 {
				fmt.Fprintln(w, "no agreements")
			}
			for _, a := range r.Agreements {
				t := a.Terms
				fmt.Fprintf(w, "agreement %d: iDAO %d grants iDAO %d class %d — %s; %s ulaz/unit, %d of %d units used, %d bps to holders, until height %d\n",
					a.Id, a.Grantor, a.Grantee, a.Class, a.Status, t.GetPricePerUnit(), a.Used, t.GetQuota(), t.GetRevenueSplitBps(), t.GetExpireHeight())
			}
		})
	cmd.AddCommand(list, show, members, proposals, proposal, agreements)
	return cmd
}

// idaoByIDOrName reads an iDAO by id or by name (names have a letter, so
// the two never clash).
func idaoByIDOrName(ctx context.Context, c *client.Client, s string, height int64) (*idao.QueryIDAOResponse, error) {
	id, perr := strconv.ParseUint(s, 10, 64)
	if perr != nil || id == 0 {
		return c.IDAOByName(ctx, s, height)
	}
	return c.IDAO(ctx, id, height)
}

func voteName(o idao.VoteOption) string {
	return strings.ToLower(strings.TrimPrefix(o.String(), "VOTE_OPTION_"))
}

func printProposal(w io.Writer, p *idao.Proposal) {
	fmt.Fprintf(w, "proposal %d of iDAO %d: %q — %s", p.Id, p.Idao, p.Title, p.Status)
	if p.Reason != "" {
		fmt.Fprintf(w, " (%s)", p.Reason)
	}
	fmt.Fprintf(w, "\n  by %s at height %d, voting until height %d, quorum %d bps; yes %d no %d abstain %d\n",
		p.Proposer, p.SubmitHeight, p.VotingEndHeight, p.QuorumBps, p.Yes, p.No, p.Abstain)
	for i, a := range p.Actions {
		fmt.Fprintf(w, "  action %d: %s\n", i+1, describeAction(a))
	}
}

func describeAction(a *idao.Action) string {
	switch k := a.Kind.(type) {
	case *idao.Action_AddMember:
		return fmt.Sprintf("add member %s as %s, weight %d", k.AddMember.Address, strings.Join(k.AddMember.Roles, ","), k.AddMember.Weight)
	case *idao.Action_SetMember:
		return fmt.Sprintf("set member %s to %s, weight %d", k.SetMember.Address, strings.Join(k.SetMember.Roles, ","), k.SetMember.Weight)
	case *idao.Action_RemoveMember:
		return "remove member " + k.RemoveMember.Address
	case *idao.Action_SetPolicy:
		return fmt.Sprintf("set policy %s = %q", k.SetPolicy.Key, k.SetPolicy.Value)
	case *idao.Action_SpendTreasury:
		n, _ := tx.ParseBaseUnits(k.SpendTreasury.Amount)
		return fmt.Sprintf("spend %s from the treasury to %s", tx.FormatAmount(n), k.SpendTreasury.To)
	case *idao.Action_OfferAgreement:
		o := k.OfferAgreement
		return fmt.Sprintf("offer class %d to iDAO %d: %s ulaz/unit, quota %d, %d bps to holders, until height %d",
			o.Class, o.Grantee, o.Terms.GetPricePerUnit(), o.Terms.GetQuota(), o.Terms.GetRevenueSplitBps(), o.Terms.GetExpireHeight())
	case *idao.Action_AcceptAgreement:
		return fmt.Sprintf("accept agreement %d", k.AcceptAgreement.Agreement)
	default:
		return "(empty action)"
	}
}
