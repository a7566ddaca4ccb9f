package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	rpcclient "github.com/cometbft/cometbft/rpc/client"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	jsonrpcclient "github.com/cometbft/cometbft/rpc/jsonrpc/client"
	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/codes"
)

// DefaultNode is the RPC address of a local node.
const DefaultNode = "tcp://127.0.0.1:26657"

// Client talks to one node.
type Client struct {
	rpc rpcclient.Client

	// PollInterval is how often WaitTx asks whether a tx is in a block.
	PollInterval time.Duration

	mu      sync.Mutex
	chainID string
}

// New wraps a CometBFT RPC client: rpchttp for a remote node, or
// rpc/client/local for a node in the same process.
func New(rpc rpcclient.Client) *Client {
	return &Client{rpc: rpc, PollInterval: 100 * time.Millisecond}
}

// Dial connects to a node's CometBFT RPC at addr ("tcp://host:port",
// "http://host:port" or "host:port").
func Dial(addr string) (*Client, error) {
	remote, err := normalizeNode(addr)
	if err != nil {
		return nil, err
	}
	hc, err := jsonrpcclient.DefaultHTTPClient(remote)
	if err != nil {
		return nil, fmt.Errorf("node %s: %w", addr, err)
	}
	// Keep connections for concurrent callers (net/http keeps 2 per host by
	// default, so a busy client would open a new connection per request).
	if t, ok := hc.Transport.(*http.Transport); ok {
		t.MaxIdleConnsPerHost = 64
	}
	rpc, err := rpchttp.NewWithClient(remote, hc)
	if err != nil {
		return nil, fmt.Errorf("node %s: %w", addr, err)
	}
	return New(rpc), nil
}

func normalizeNode(addr string) (string, error) {
	if addr == "" {
		return "", fmt.Errorf("no node address: pass --node tcp://HOST:PORT")
	}
	if !strings.Contains(addr, "://") {
		addr = "tcp://" + addr
	}
	u, err := url.Parse(addr)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("node address %q: want tcp://HOST:PORT or http://HOST:PORT", addr)
	}
	switch u.Scheme {
	case "tcp", "http", "https", "unix":
	default:
		return "", fmt.Errorf("node address %q: scheme %q is not one of tcp, http, https, unix", addr, u.Scheme)
	}
	return addr, nil
}

// RPC is the underlying CometBFT RPC client.
func (c *Client) RPC() rpcclient.Client { return c.rpc }

// ChainID asks the node which chain it runs, once.
func (c *Client) ChainID(ctx context.Context) (string, error) {
	c.mu.Lock()
	id := c.chainID
	c.mu.Unlock()
	if id != "" {
		return id, nil
	}
	st, err := c.rpc.Status(ctx)
	if err != nil {
		return "", fmt.Errorf("node status: %w", err)
	}
	c.mu.Lock()
	c.chainID = st.NodeInfo.Network
	c.mu.Unlock()
	return st.NodeInfo.Network, nil
}

// QueryError is a query the app refused, with its code.
type QueryError struct {
	Path      string
	Codespace string
	Code      uint32
	Log       string
}

func (e *QueryError) Error() string {
	if e.Log != "" {
		return e.Log
	}
	return fmt.Sprintf("query %s failed: %s/%d", e.Path, e.Codespace, e.Code)
}

// Is lets errors.Is match a QueryError against a registered code.
func (e *QueryError) Is(target error) bool {
	t, ok := target.(*codes.Error)
	return ok && t.Codespace == e.Codespace && t.Code == e.Code
}

// Query runs an app query with a JSON request and decodes the JSON answer
// into out. height 0 reads the latest committed state. It returns the height
// the answer is from.
func (c *Client) Query(ctx context.Context, path string, req, out any, height int64) (int64, error) {
	var data []byte
	if req != nil {
		var err error
		if data, err = json.Marshal(req); err != nil {
			return 0, fmt.Errorf("encode %s request: %w", path, err)
		}
	}
	res, err := c.rpc.ABCIQueryWithOptions(ctx, path, data, rpcclient.ABCIQueryOptions{Height: height})
	if err != nil {
		return 0, fmt.Errorf("query %s: %w", path, err)
	}
	r := res.Response
	if r.Code != codes.OK {
		return r.Height, &QueryError{Path: path, Codespace: r.Codespace, Code: r.Code, Log: r.Log}
	}
	if m, ok := out.(proto.Message); ok {
		if err := chain.DecodeProtoJSON(r.Value, m); err != nil {
			return r.Height, fmt.Errorf("decode %s answer: %w", path, err)
		}
	} else if out != nil {
		if err := json.Unmarshal(r.Value, out); err != nil {
			return r.Height, fmt.Errorf("decode %s answer: %w", path, err)
		}
	}
	return r.Height, nil
}
