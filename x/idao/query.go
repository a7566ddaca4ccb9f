package idao

import (
	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/store"
	"github.com/lazchain/lazchain/tx"
)

// IDAOQuery asks /idao/idao for one iDAO, by id or by name.
type IDAOQuery struct {
	ID   uint64 `json:"id"`
	Name string `json:"name,omitempty"`
}

// ListQuery asks /idao/list for a page of iDAOs in id order, after id After.
type ListQuery struct {
	After uint64 `json:"after,omitempty"`
	Limit int    `json:"limit,omitempty"`
}

// MembersQuery asks /idao/members for a page of iDAO ID's members in
// address order, after address After.
type MembersQuery struct {
	ID    uint64 `json:"id"`
	After string `json:"after,omitempty"`
	Limit int    `json:"limit,omitempty"`
}

// ProposalsQuery asks /idao/proposals for a page of iDAO ID's proposals in
// id order; Status is "" (all), "open" or "closed".
type ProposalsQuery struct {
	ID     uint64 `json:"id"`
	Status string `json:"status,omitempty"`
	After  uint64 `json:"after,omitempty"`
	Limit  int    `json:"limit,omitempty"`
}

// ProposalQuery asks /idao/proposal for one proposal with its votes.
type ProposalQuery struct {
	ID       uint64 `json:"id"`
	Proposal uint64 `json:"proposal"`
}

// AgreementsQuery asks /idao/agreements for the agreements iDAO ID grants
// or was granted.
type AgreementsQuery struct {
	ID uint64 `json:"id"`
}

// Queries implements chain.Module.
func (m Module) Queries() []chain.Query {
	k := m.Keeper
	return []chain.Query{
		chain.NewQuery("idao", k.queryIDAO),
		chain.NewQuery("list", func(ctx *chain.Context, q ListQuery) (any, error) { return k.queryList(ctx, q), nil }),
		chain.NewQuery("members", k.queryMembers),
		chain.NewQuery("proposals", k.queryProposals),
		chain.NewQuery("proposal", k.queryProposal),
		chain.NewQuery("agreements", k.queryAgreements),
	}
}

func (k *Keeper) queryIDAO(ctx *chain.Context, q IDAOQuery) (*QueryIDAOResponse, error) {
	var d *IDAO
	var err error
	switch {
	case q.ID != 0 && q.Name != "":
		return nil, chain.ErrBadRequest.Wrap("idao query: give id or name, not both")
	case q.ID != 0:
		d, err = k.Get(ctx, q.ID)
	case q.Name != "":
		d, err = k.ByName(ctx, q.Name)
	default:
		return nil, chain.ErrBadRequest.Wrap("idao query: give an id or a name")
	}
	if err != nil {
		return nil, err
	}
	return &QueryIDAOResponse{
		Idao:            d,
		TreasuryBalance: tx.FormatBaseUnits(k.Bank.Balance(ctx, TreasuryAddress(d.Id))),
		Policies:        k.policies(ctx, d.Id),
	}, nil
}

func (k *Keeper) queryList(ctx *chain.Context, q ListQuery) *QueryIDAOsResponse {
	limit := chain.PageLimit(q.Limit)
	res := &QueryIDAOsResponse{Idaos: []*IDAO{}}
	if q.After == ^uint64(0) {
		return res
	}
	store.Each(ctx.Store(Name), key(prefixIDAO, q.After+1), store.PrefixEnd(prefixIDAO), func(_, v []byte) bool {
		if len(res.Idaos) == limit {
			res.Next = res.Idaos[limit-1].Id
			return false
		}
		d := &IDAO{}
		chain.DecodeRecord(v, d)
		res.Idaos = append(res.Idaos, d)
		return true
	})
	return res
}

func (k *Keeper) queryMembers(ctx *chain.Context, q MembersQuery) (*QueryMembersResponse, error) {
	if _, err := k.Get(ctx, q.ID); err != nil {
		return nil, err
	}
	limit := chain.PageLimit(q.Limit)
	start := key(prefixMember, q.ID)
	end := store.PrefixEnd(start)
	if q.After != "" {
		a, err := tx.ParseAddress(q.After)
		if err != nil {
			return nil, chain.ErrBadRequest.Wrapf("members query: after: %v", err)
		}
		start = append(key(prefixMember, q.ID, a), 0)
	}
	res := &QueryMembersResponse{Members: []*Member{}}
	store.Each(ctx.Store(Name), start, end, func(_, v []byte) bool {
		if len(res.Members) == limit {
			res.Next = res.Members[limit-1].Address
			return false
		}
		m := &Member{}
		chain.DecodeRecord(v, m)
		res.Members = append(res.Members, m)
		return true
	})
	return res, nil
}

func (k *Keeper) queryProposals(ctx *chain.Context, q ProposalsQuery) (*QueryProposalsResponse, error) {
	if q.Status != "" && q.Status != "open" && q.Status != "closed" {
		return nil, chain.ErrBadRequest.Wrapf("proposals query: status %q is not \"\", \"open\" or \"closed\"", q.Status)
	}
	if _, err := k.Get(ctx, q.ID); err != nil {
		return nil, err
	}
	res := &QueryProposalsResponse{Proposals: []*Proposal{}}
	if q.After == ^uint64(0) {
		return res, nil
	}
	limit := chain.PageLimit(q.Limit)
	p := key(prefixProposal, q.ID)
	store.Each(ctx.Store(Name), key(prefixProposal, q.ID, q.After+1), store.PrefixEnd(p), func(_, v []byte) bool {
		pr := &Proposal{}
		chain.DecodeRecord(v, pr)
		if q.Status == "open" && pr.Status != StatusOpen || q.Status == "closed" && pr.Status == StatusOpen {
			return true
		}
		if len(res.Proposals) == limit {
			res.Next = res.Proposals[limit-1].Id
			return false
		}
		res.Proposals = append(res.Proposals, pr)
		return true
	})
	return res, nil
}

func (k *Keeper) queryProposal(ctx *chain.Context, q ProposalQuery) (*QueryProposalResponse, error) {
	d, err := k.Get(ctx, q.ID)
	if err != nil {
		return nil, err
	}
	p, err := k.Proposal(ctx, q.ID, q.Proposal)
	if err != nil {
		return nil, err
	}
	res := &QueryProposalResponse{Proposal: p, Votes: []*Vote{}, TotalWeight: d.TotalWeight}
	vp := key(prefixVote, q.ID, q.Proposal)
	store.Each(ctx.Store(Name), vp, store.PrefixEnd(vp), func(_, v []byte) bool {
		vote := &Vote{}
		chain.DecodeRecord(v, vote)
		res.Votes = append(res.Votes, vote)
		return true
	})
	return res, nil
}

func (k *Keeper) queryAgreements(ctx *chain.Context, q AgreementsQuery) (*QueryAgreementsResponse, error) {
	if _, err := k.Get(ctx, q.ID); err != nil {
		return nil, err
	}
	res := &QueryAgreementsResponse{Agreements: []*Agreement{}}
	for _, id := range k.agreementIDs(ctx, q.ID) {
		a, err := k.Agreement(ctx, id)
		if err != nil {
			return nil, err
		}
		res.Agreements = append(res.Agreements, a)
	}
	return res, nil
}
