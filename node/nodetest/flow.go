package nodetest

import (
	"encoding/json"
	"testing"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/enclave"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/compute"
	"github.com/lazchain/lazchain/x/idao"
)

// ComputeIDAO names a compute-provider iDAO of FlowGenesis and the
// accounts that hold its compute_provider role.
type ComputeIDAO struct {
	Name      string
	Operators []tx.Address
}

// FlowGenesis are the genesis sections of a chain for the data path: dev
// attestation on (enclave.DevComputeParams), iDAO 1 named dataIDAO with
// admin as its admin, and iDAOs 2, 3, … as given, each with admin as admin
// and its operators as compute providers.
func FlowGenesis(t testing.TB, admin tx.Address, dataIDAO string, computeIDAOs ...ComputeIDAO) map[string]json.RawMessage {
	t.Helper()
	adm := idao.GenesisMember{Address: admin.String(), Roles: []string{idao.RoleAdmin}, Weight: 1}
	g := idao.Genesis{IDAOs: []idao.GenesisIDAO{{Name: dataIDAO, Creator: admin.String(), Members: []idao.GenesisMember{adm}}}}
	for _, c := range computeIDAOs {
		members := []idao.GenesisMember{adm}
		for _, op := range c.Operators {
			members = append(members, idao.GenesisMember{Address: op.String(), Roles: []string{idao.RoleComputeProvider}, Weight: 1})
		}
		g.IDAOs = append(g.IDAOs, idao.GenesisIDAO{Name: c.Name, Creator: admin.String(), Members: members})
	}
	ig, err := json.Marshal(g)
	if err != nil {
		t.Fatal(err)
	}
	params, err := chain.EncodeJSON(enclave.DevComputeParams())
	if err != nil {
		t.Fatal(err)
	}
	cg, err := json.Marshal(compute.Genesis{Params: params})
	if err != nil {
		t.Fatal(err)
	}
	return map[string]json.RawMessage{idao.Name: ig, compute.Name: cg}
}
