package node

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"

	cmtlog "github.com/cometbft/cometbft/libs/log"
)

// NewLogger makes the node's structured logger from the [log] settings.
func NewLogger(w io.Writer, lc LogConfig) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(strings.ToUpper(orDefault(lc.Level, "info")))); err != nil {
		return nil, fmt.Errorf("log level %q: want debug, info, warn or error", lc.Level)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch orDefault(lc.Format, "text") {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	default:
		return nil, fmt.Errorf("log format %q: want text or json", lc.Format)
	}
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// cometLogger passes CometBFT's logs to slog. CometBFT logs several info
// lines per block; unless asked for (log.cometbft) they go out at debug.
type cometLogger struct {
	l    *slog.Logger
	info slog.Level
	// stopping is set while the node shuts down: CometBFT then logs its
	// closed listeners as errors, which are expected and go out at debug.
	stopping *atomic.Bool
}

func newCometLogger(l *slog.Logger, verbose bool, stopping *atomic.Bool) cmtlog.Logger {
	c := cometLogger{l: l.With("module", "cometbft"), info: slog.LevelDebug, stopping: stopping}
	if verbose {
		c.info = slog.LevelInfo
	}
	return c
}

func (c cometLogger) Debug(msg string, kv ...any) {
	c.l.Log(context.Background(), slog.LevelDebug, msg, kv...)
}

func (c cometLogger) Info(msg string, kv ...any) { c.l.Log(context.Background(), c.info, msg, kv...) }

func (c cometLogger) Error(msg string, kv ...any) {
	level := slog.LevelError
	if c.stopping.Load() {
		level = slog.LevelDebug
	}
	c.l.Log(context.Background(), level, msg, kv...)
}

func (c cometLogger) With(kv ...any) cmtlog.Logger {
	return cometLogger{l: c.l.With(kv...), info: c.info, stopping: c.stopping}
}
