package service

import (
	"slices"
	"strconv"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/dat"
	"github.com/lazchain/lazchain/x/flow"
	"github.com/lazchain/lazchain/x/idao"
)

func (k *Keeper) execRegisterService(ctx *chain.Context, msg *MsgRegisterService) error {
	from, err := parseAddr("from", msg.From)
	if err != nil {
		return err
	}
	if _, err := k.IDAO.Get(ctx, msg.Idao); err != nil {
		return err
	}
	if !k.IDAO.HasRole(ctx, msg.Idao, from, idao.RoleAppDeveloper) && !k.IDAO.HasRole(ctx, msg.Idao, from, idao.RoleAdmin) {
		return ErrUnauthorized.Wrapf("%s needs the %s or %s role in iDAO %d to register a service for it", from, idao.RoleAppDeveloper, idao.RoleAdmin, msg.Idao)
	}
	if n := len(msg.Name); n == 0 || n > MaxNameLen {
		return ErrInvalidService.Wrapf("name is %d bytes, want 1 to %d", n, MaxNameLen)
	}
	if msg.Policy != PolicyTEE {
		return ErrInvalidService.Wrapf("verification policy %q: only %q is supported (zk and op come later)", msg.Policy, PolicyTEE)
	}
	price, err := parseAmount("price_per_call", msg.PricePerCall)
	if err != nil {
		return err
	}
	if price == 0 {
		return ErrInvalidAmount.Wrap("price_per_call must be at least 1 ulaz")
	}
	if err := checkSplit(msg.Split); err != nil {
		return err
	}
	model, err := k.Flow.ModelByClass(ctx, msg.ModelClass)
	if err != nil {
		return ErrInvalidService.Wrapf("model_class %d: %v", msg.ModelClass, err)
	}
	kv := k.kv(ctx)
	id := chain.NextID(kv, seqServiceKey)
	if err := k.checkClassPolicies(ctx, msg.ModelClass, msg.Idao, Address(id)); err != nil {
		return err
	}
	workers, err := k.checkWorkers(ctx, model, msg.Workers)
	if err != nil {
		return err
	}
	s := &Service{
		Id: id, Idao: msg.Idao, Creator: from.String(), Name: msg.Name, ModelClass: msg.ModelClass, Model: model.Id,
		ModelCommitment: model.ModelCommitment, PricePerCall: tx.FormatBaseUnits(price), Split: msg.Split, Workers: workers,
		Policy: msg.Policy, Status: StatusActive, CreatedHeight: ctx.Height, Address: Address(id).String(),
		Totals: &Totals{Paid: "0", Protocol: "0", Providers: "0", Owner: "0", Model: "0"},
	}
	k.setService(ctx, s)
	kv.Set(key(idaoSPrefix, be(s.Idao), be(s.Id)), present)
	ctx.Emit(chain.Event("service_register",
		chain.Indexed("service", strconv.FormatUint(s.Id, 10)),
		chain.Indexed("idao", strconv.FormatUint(s.Idao, 10)),
		chain.Indexed("model_class", strconv.FormatUint(s.ModelClass, 10)),
		chain.Attr("price_per_call", s.PricePerCall)))
	return nil
}

func checkSplit(sp *Split) error {
	if sp == nil {
		return ErrInvalidService.Wrap("split: missing (owner, provider and model basis points, sum 10000)")
	}
	if sum := uint64(sp.OwnerBps) + uint64(sp.ProviderBps) + uint64(sp.ModelBps); sum != MaxBps {
		return ErrInvalidService.Wrapf("split %d+%d+%d basis points (owner+provider+model) sums to %d, want %d",
			sp.OwnerBps, sp.ProviderBps, sp.ModelBps, sum, MaxBps)
	}
	return nil
}

// checkWorkers validates a service's workers and returns them sorted: each
// must exist, be active and hold a grant for the model's weights (else it
// could not load the model).
func (k *Keeper) checkWorkers(ctx *chain.Context, model *flow.Model, ids []uint64) ([]uint64, error) {
	if len(ids) == 0 || len(ids) > MaxWorkers {
		return nil, ErrInvalidService.Wrapf("%d workers: want 1 to %d", len(ids), MaxWorkers)
	}
	out := slices.Clone(ids)
	slices.Sort(out)
	for i, id := range out {
		if i > 0 && out[i-1] == id {
			return nil, ErrInvalidService.Wrapf("worker %d is listed twice", id)
		}
		w, err := k.Compute.Worker(ctx, id)
		if err != nil {
			return nil, err
		}
		if !k.Compute.Active(ctx, w) {
			return nil, ErrInvalidService.Wrapf("worker %d is %s, not active", id, w.Status)
		}
		granted := false
		for _, g := range model.Weights.GetGrants() {
			granted = granted || g.Worker == id
		}
		if !granted {
			return nil, ErrInvalidService.Wrapf("worker %d holds no grant for model %d's weights and could not load it; pick among the workers of pool %d", id, model.Id, model.Pool)
		}
	}
	return out, nil
}

// checkClassPolicies checks the terms of every class the service uses:
// the model class and all its ancestors (the data it was trained on). A
// restricted class may be served only by its own iDAO, a service its
// policy (or its iDAO's) allows by address, or an iDAO holding an active
// agreement for it.
func (k *Keeper) checkClassPolicies(ctx *chain.Context, class, svcIDAO uint64, addr tx.Address) error {
	seen := map[uint64]bool{class: true}
	queue := []uint64{class}
	for len(queue) > 0 {
		if len(seen) > maxLineage {
			return ErrPolicy.Wrapf("class %d has more than %d ancestors", class, maxLineage)
		}
		id := queue[0]
		queue = queue[1:]
		c, err := k.DAT.Class(ctx, id)
		if err != nil {
			return err
		}
		if err := k.classAllows(ctx, c, svcIDAO, addr); err != nil {
			return err
		}
		for _, p := range c.Parents {
			if !seen[p.Class] {
				seen[p.Class] = true
				queue = append(queue, p.Class)
			}
		}
	}
	return nil
}

func (k *Keeper) classAllows(ctx *chain.Context, c *dat.Class, svcIDAO uint64, addr tx.Address) error {
	if c.Policy == nil || !c.Policy.Restricted || c.Idao == svcIDAO || k.DAT.AllowsService(ctx, c, addr) {
		return nil
	}
	if _, err := k.IDAO.ActiveAgreement(ctx, c.Idao, svcIDAO, c.Id); err == nil {
		return nil
	}
	return ErrPolicy.Wrapf("class %d (%s) is restricted to iDAO %d: add service address %s to its allowed_services, or get iDAO %d an active agreement for it",
		c.Id, c.Name, c.Idao, addr, svcIDAO)
}

func (k *Keeper) execUpdateService(ctx *chain.Context, msg *MsgUpdateService) error {
	from, err := parseAddr("from", msg.From)
	if err != nil {
		return err
	}
	s, err := k.Service(ctx, msg.Service)
	if err != nil {
		return err
	}
	if !k.IDAO.HasRole(ctx, s.Idao, from, idao.RoleAppDeveloper) && !k.IDAO.HasRole(ctx, s.Idao, from, idao.RoleAdmin) {
		return ErrUnauthorized.Wrapf("%s needs the %s or %s role in iDAO %d to update service %d", from, idao.RoleAppDeveloper, idao.RoleAdmin, s.Idao, s.Id)
	}
	if msg.PricePerCall != "" {
		price, err := parseAmount("price_per_call", msg.PricePerCall)
		if err != nil {
			return err
		}
		if price == 0 {
			return ErrInvalidAmount.Wrap("price_per_call must be at least 1 ulaz")
		}
		s.PricePerCall = tx.FormatBaseUnits(price)
	}
	if len(msg.Workers) > 0 {
		model, err := k.Flow.ModelByClass(ctx, s.ModelClass)
		if err != nil {
			return err
		}
		workers, err := k.checkWorkers(ctx, model, msg.Workers)
		if err != nil {
			return err
		}
		for _, id := range s.Workers {
			if _, still := slices.BinarySearch(workers, id); !still {
				if i, known := slices.BinarySearch(s.FormerWorkers, id); !known {
					s.FormerWorkers = slices.Insert(s.FormerWorkers, i, id)
				}
			}
		}
		s.Workers = workers
	}
	switch msg.Status {
	case "":
	case StatusActive, StatusPaused:
		s.Status = msg.Status
	default:
		return ErrInvalidService.Wrapf("status %q: want %q or %q", msg.Status, StatusActive, StatusPaused)
	}
	k.setService(ctx, s)
	ctx.Emit(chain.Event("service_update",
		chain.Indexed("service", strconv.FormatUint(s.Id, 10)),
		chain.Attr("price_per_call", s.PricePerCall),
		chain.Attr("status", s.Status)))
	return nil
}
