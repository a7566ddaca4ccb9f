package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/bank"
	"github.com/lazchain/lazchain/x/dat"
	"github.com/lazchain/lazchain/x/idao"
)

// The devnet's demo: one iDAO with a funded treasury and one DAT class with
// two holders, so a new user sees iDAOs, DATs and revenue at once.
const (
	demoIDAOName  = "demo-data-pool"
	demoClassName = "iris flowers (demo)"
	// demoTreasury is what the demo iDAO's treasury holds at genesis.
	demoTreasury = 10_000 * tx.UnitsPerLAZ
)

// demoDataset stands in for the demo class's content; its SHA-256 is the
// class's integrity hash.
const demoDataset = "lazchain devnet demo: the iris dataset (150 flowers, 4 features, 3 species)"

// devnetDemo is the genesis of the demo: alice creates the iDAO, bob joins
// it as a data provider; both hold tokens of its class.
func devnetDemo(alice, bob tx.Address) (map[string]json.RawMessage, bank.Balance, error) {
	ig := idao.Genesis{IDAOs: []idao.GenesisIDAO{{
		Name:        demoIDAOName,
		Description: "A demo data-pool iDAO seeded by lazchain devnet.",
		Creator:     alice.String(),
		// The whole member list: alice (the creator) stays admin.
		Members: []idao.GenesisMember{
			{Address: alice.String(), Roles: []string{idao.RoleAdmin}, Weight: 1},
			{Address: bob.String(), Roles: []string{idao.RoleDataProvider}, Weight: 1},
		},
		Policies: map[string]string{"voting_period": "20"},
	}}}
	sum := sha256.Sum256([]byte(demoDataset))
	dg := dat.Genesis{Classes: []dat.GenesisClass{{
		IDAO: 1, Creator: alice.String(), Name: demoClassName,
		MetadataURI: "lazchain://devnet/demo/iris", IntegrityHash: hex.EncodeToString(sum[:]),
		PolicyURI: "lazchain://devnet/demo/terms",
		Tokens: []dat.GenesisToken{
			{Owner: alice.String(), Value: 1000, ShareRatio: 60},
			{Owner: bob.String(), Value: 1000, ShareRatio: 40},
		},
	}}}
	ib, err := json.Marshal(ig)
	if err != nil {
		return nil, bank.Balance{}, err
	}
	db, err := json.Marshal(dg)
	if err != nil {
		return nil, bank.Balance{}, err
	}
	treasury := bank.Balance{Address: idao.TreasuryAddress(1), Amount: tx.FormatBaseUnits(demoTreasury)}
	return map[string]json.RawMessage{idao.Name: ib, dat.Name: db}, treasury, nil
}
