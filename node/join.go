package node

import (
	"context"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"

	"github.com/lazchain/lazchain/client"
)

// JoinOptions describe a full node joining a running network.
type JoinOptions struct {
	// Peers are RPC addresses of running nodes of the network (tcp:// or
	// http://). The genesis and the peers' p2p addresses come from them.
	Peers   []string
	Moniker string
	// RPCAddr, P2PAddr and APIAddr are host:port this node listens on.
	RPCAddr, P2PAddr, APIAddr string
	BlockTime                 time.Duration
	// StateSync restores the state from the peers' snapshots instead of
	// replaying every block. The light client that checks the snapshot
	// starts from TrustHeight/TrustHash; without a hash, the first peer's
	// header at TrustHeight (its latest when 0) is trusted, so pin one you
	// got out of band for anything but a test.
	StateSync   bool
	TrustHeight int64
	TrustHash   []byte
	TrustPeriod time.Duration
}

// Join makes home a full node of the network the peers run: their genesis,
// persistent peers, and optionally state sync. Start it with Start.
func Join(ctx context.Context, home string, o JoinOptions) (*InitResult, error) {
	if len(o.Peers) == 0 {
		return nil, fmt.Errorf("give at least one --peer: the RPC address of a node of the network")
	}
	var persistent []string
	var first *client.Client
	for _, p := range o.Peers {
		c, err := client.Dial(p)
		if err != nil {
			return nil, err
		}
		st, err := c.RPC().Status(ctx)
		if err != nil {
			return nil, fmt.Errorf("peer %s: %w", p, err)
		}
		addr := st.NodeInfo.ListenAddr
		addr = addr[strings.Index(addr, "://")+3:]
		persistent = append(persistent, fmt.Sprintf("%s@%s", st.NodeInfo.DefaultNodeID, addr))
		if first == nil {
			first = c
		}
	}
	gen, err := first.RPC().Genesis(ctx)
	if err != nil {
		return nil, fmt.Errorf("genesis from %s: %w", o.Peers[0], err)
	}
	res, err := Init(home, InitOptions{ChainID: gen.Genesis.ChainID, Moniker: o.Moniker, BlockTime: o.BlockTime})
	if err != nil {
		return nil, err
	}
	if err := gen.Genesis.SaveAs(GenesisPath(home)); err != nil {
		return nil, err
	}
	cfg := defaultCometConfig(home, o.Moniker, o.BlockTime)
	if o.BlockTime <= 0 {
		cfg.Consensus.TimeoutCommit = time.Second
	}
	configureNetworkNode(cfg, o.RPCAddr, o.P2PAddr, strings.Join(persistent, ","))
	if o.StateSync {
		if err := trustForStateSync(ctx, first, cfg, o); err != nil {
			return nil, err
		}
	}
	cmtcfg.WriteConfigFile(filepath.Join(home, "config", "config.toml"), cfg)
	ac := DefaultAppConfig()
	ac.API.Address = o.APIAddr
	if err := writeAppConfig(home, ac); err != nil {
		return nil, err
	}
	res.Genesis = GenesisPath(home)
	return res, nil
}

// trustForStateSync fills CometBFT's state sync settings.
func trustForStateSync(ctx context.Context, c *client.Client, cfg *cmtcfg.Config, o JoinOptions) error {
	servers := append([]string(nil), o.Peers...)
	if len(servers) == 1 {
		servers = append(servers, servers[0]) // CometBFT wants two; one peer stands for both
	}
	h, hash := o.TrustHeight, o.TrustHash
	if len(hash) == 0 {
		b, err := c.Block(ctx, h)
		if err != nil {
			return fmt.Errorf("trusted header: %w", err)
		}
		h = b.Height
		if hash, err = hex.DecodeString(b.Hash); err != nil {
			return err
		}
	}
	if h <= 0 {
		return fmt.Errorf("state sync needs a trusted height: pass --trust-height with --trust-hash")
	}
	period := o.TrustPeriod
	if period == 0 {
		period = 7 * 24 * time.Hour
	}
	cfg.StateSync.Enable = true
	cfg.StateSync.RPCServers = servers
	cfg.StateSync.TrustHeight = h
	cfg.StateSync.TrustHash = strings.ToUpper(hex.EncodeToString(hash))
	cfg.StateSync.TrustPeriod = period
	// Snapshots are taken every few blocks and only the recent ones are
	// kept: look for them briefly, then restore before they are pruned.
	cfg.StateSync.DiscoveryTime = 5 * time.Second
	return nil
}
