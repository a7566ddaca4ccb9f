package idao

import (
	"math/bits"
	"strconv"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/store"
)

func (k *Keeper) execCreate(ctx *chain.Context, msg *MsgCreate) error {
	from, err := parseAddress("creator", msg.From)
	if err != nil {
		return err
	}
	_, err = k.create(ctx, from, msg.Name, msg.Description, msg.Roles)
	return err
}

func (k *Keeper) execPropose(ctx *chain.Context, msg *MsgPropose) error {
	from, err := parseAddress("proposer", msg.From)
	if err != nil {
		return err
	}
	d, err := k.Get(ctx, msg.Idao)
	if err != nil {
		return err
	}
	if _, err := k.Member(ctx, d.Id, from); err != nil {
		return err
	}
	switch {
	case len(msg.Title) == 0 || len(msg.Title) > MaxTitleLen:
		return ErrInvalidProposal.Wrapf("title has %d bytes; want 1 to %d", len(msg.Title), MaxTitleLen)
	case len(msg.Description) > MaxProposalDescLen:
		return ErrInvalidProposal.Wrapf("description has %d bytes; at most %d are allowed", len(msg.Description), MaxProposalDescLen)
	case len(msg.Actions) == 0 || len(msg.Actions) > MaxActions:
		return ErrInvalidProposal.Wrapf("the proposal has %d actions; want 1 to %d", len(msg.Actions), MaxActions)
	}
	for i, a := range msg.Actions {
		if err := k.checkAction(ctx, d.Id, a); err != nil {
			return annotate(err, i, a)
		}
	}
	spends, err := totalSpend(d.Id, msg.Actions)
	if err != nil {
		return err
	}
	if have := k.Bank.Balance(ctx, TreasuryAddress(d.Id)); spends > have {
		return ErrTreasuryFunds.Wrapf("treasury of iDAO %d holds %d ulaz; the proposal spends %d ulaz", d.Id, have, spends)
	}
	// Dry run on a cache that is dropped: a proposal that could not run
	// now is refused rather than left to fail when it passes.
	if err := k.runActions(ctx.WithKV(store.NewCache(ctx.KV())), d.Id, msg.Actions); err != nil {
		return err
	}
	period := k.policyUint(ctx, d.Id, PolicyVotingPeriod)
	quorum := k.policyUint(ctx, d.Id, PolicyQuorumBps)
	p := &Proposal{
		Id: d.NextProposal, Idao: d.Id, Proposer: from.String(), Title: msg.Title, Description: msg.Description,
		Actions: msg.Actions, SubmitHeight: ctx.Height, VotingEndHeight: ctx.Height + int64(period) - 1,
		QuorumBps: uint32(quorum), Status: StatusOpen,
	}
	d.NextProposal++
	k.setIDAO(ctx, d)
	kv := ctx.Store(Name)
	chain.SaveRecord(kv, key(prefixProposal, d.Id, p.Id), p)
	kv.Set(key(prefixExpiry, p.VotingEndHeight, d.Id, p.Id), present)
	emitProposal(ctx, p, "submitted")
	return nil
}

func emitProposal(ctx *chain.Context, p *Proposal, status string) {
	ctx.Emit(chain.Event("idao_proposal", chain.Indexed("idao", fmtID(p.Idao)), chain.Indexed("proposal", fmtID(p.Id)),
		chain.Indexed("status", status), chain.Attr("reason", p.Reason)))
}

// Proposal returns proposal pid of iDAO id, or ErrNotFound.
func (k *Keeper) Proposal(ctx *chain.Context, id, pid uint64) (*Proposal, error) {
	p := &Proposal{}
	if !chain.LoadRecord(ctx.Store(Name), key(prefixProposal, id, pid), p) {
		return nil, ErrNotFound.Wrapf("proposal %d of iDAO %d does not exist", pid, id)
	}
	return p, nil
}

func optionName(o VoteOption) string {
	switch o {
	case VoteOption_VOTE_OPTION_YES:
		return "yes"
	case VoteOption_VOTE_OPTION_NO:
		return "no"
	case VoteOption_VOTE_OPTION_ABSTAIN:
		return "abstain"
	}
	return o.String()
}

func (k *Keeper) execVote(ctx *chain.Context, msg *MsgVote) error {
	from, err := parseAddress("voter", msg.From)
	if err != nil {
		return err
	}
	switch msg.Option {
	case VoteOption_VOTE_OPTION_YES, VoteOption_VOTE_OPTION_NO, VoteOption_VOTE_OPTION_ABSTAIN:
	default:
		return ErrInvalidVote.Wrapf("vote option %s is not yes, no or abstain", msg.Option)
	}
	d, err := k.Get(ctx, msg.Idao)
	if err != nil {
		return err
	}
	m, err := k.Member(ctx, d.Id, from)
	if err != nil {
		return err
	}
	p, err := k.Proposal(ctx, d.Id, msg.Proposal)
	if err != nil {
		return err
	}
	if p.Status != StatusOpen {
		return ErrProposalClosed.Wrapf("proposal %d of iDAO %d is closed: %s at height %d", p.Id, d.Id, p.Status, p.ClosedHeight)
	}
	if ctx.Height > p.VotingEndHeight {
		return ErrVotingPeriod.Wrapf("voting on proposal %d of iDAO %d ended at height %d (now %d)", p.Id, d.Id, p.VotingEndHeight, ctx.Height)
	}
	if m.Weight == 0 {
		return ErrInvalidVote.Wrapf("%s has weight 0 in iDAO %d (%s) and cannot vote", from, d.Id, d.Name)
	}
	kv := ctx.Store(Name)
	vk := key(prefixVote, d.Id, p.Id, from)
	old := &Vote{}
	if chain.LoadRecord(kv, vk, old) {
		*tally(p, old.Option) -= old.Weight
	}
	t := tally(p, msg.Option)
	if *t > ^uint64(0)-m.Weight {
		return ErrInvalidVote.Wrapf("the %s tally of proposal %d would overflow", optionName(msg.Option), p.Id)
	}
	*t += m.Weight
	v := &Vote{Voter: from.String(), Option: msg.Option, Weight: m.Weight, Height: ctx.Height}
	chain.SaveRecord(kv, vk, v)
	chain.SaveRecord(kv, key(prefixProposal, d.Id, p.Id), p)
	if passing(p, d.TotalWeight) || hopeless(p, d.TotalWeight) {
		kv.Set(key(prefixQueue, d.Id, p.Id), present)
	}
	ctx.Emit(chain.Event("idao_vote", chain.Indexed("idao", fmtID(d.Id)), chain.Indexed("proposal", fmtID(p.Id)),
		chain.Indexed("voter", from.String()), chain.Attr("option", optionName(msg.Option)),
		chain.Attr("weight", strconv.FormatUint(m.Weight, 10))))
	return nil
}

// tally is the counter of p for option o.
func tally(p *Proposal, o VoteOption) *uint64 {
	switch o {
	case VoteOption_VOTE_OPTION_YES:
		return &p.Yes
	case VoteOption_VOTE_OPTION_NO:
		return &p.No
	case VoteOption_VOTE_OPTION_ABSTAIN:
		return &p.Abstain
	}
	panic("idao: tally of vote option " + o.String())
}

// cmpProduct compares a*b with c*d exactly (128-bit products).
func cmpProduct(a, b, c, d uint64) int {
	h1, l1 := bits.Mul64(a, b)
	h2, l2 := bits.Mul64(c, d)
	switch {
	case h1 != h2:
		if h1 < h2 {
			return -1
		}
		return 1
	case l1 < l2:
		return -1
	case l1 > l2:
		return 1
	}
	return 0
}

// passing says whether p's yes weight reaches its quorum of total.
func passing(p *Proposal, total uint64) bool {
	return total > 0 && p.Yes > 0 && cmpProduct(p.Yes, 10000, uint64(p.QuorumBps), total) >= 0
}

// hopeless says whether p could no longer pass even if all the weight that
// has not voted no or abstain voted yes.
func hopeless(p *Proposal, total uint64) bool {
	return cmpProduct(reachable(p, total), 10000, uint64(p.QuorumBps), total) < 0
}

func reachable(p *Proposal, total uint64) uint64 {
	against := p.No + p.Abstain
	if against < p.No || against >= total {
		return 0
	}
	return total - against
}
