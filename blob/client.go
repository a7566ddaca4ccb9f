package blob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"strings"
)

// Client is a Store backed by a node's blob API (see Register). It maps the
// API's errors back to this package's sentinel errors, and checks the size
// and SHA-256 of everything it downloads.
type Client struct {
	base string
	hc   *http.Client
}

var _ Store = (*Client)(nil)

// NewClient returns a client of the blob API at baseURL (such as
// http://127.0.0.1:1317), using hc, or http.DefaultClient if hc is nil.
// Uploads send "Expect: 100-continue", so a node that refuses an upload (too
// large, already stored) answers before the body is sent; that needs a
// transport with a non-zero ExpectContinueTimeout, as http.DefaultTransport
// has.
func NewClient(baseURL string, hc *http.Client) *Client {
	if hc == nil {
		hc = http.DefaultClient
	}
	return &Client{base: strings.TrimRight(baseURL, "/"), hc: hc}
}

func (c *Client) url(sum Sum) string { return c.base + "/v1/blobs/" + sum.String() }

// do sends a request and returns the response, or an error that names the
// operation.
func (c *Client) do(ctx context.Context, method, op string, sum Sum, body io.Reader, size int64) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.url(sum), body)
	if err != nil {
		return nil, fmt.Errorf("blob: %s %s: building request (check the node URL %q): %w", op, sum, c.base, err)
	}
	if body != nil {
		req.ContentLength = size
		req.Header.Set("Content-Type", "application/octet-stream")
		if size > 0 {
			req.Header.Set("Expect", "100-continue")
		} else {
			req.Body = http.NoBody
		}
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("blob: %s %s at %s: %w", op, sum, c.base, err)
	}
	return resp, nil
}

// Put implements Store. It reads at most size bytes from r.
func (c *Client) Put(ctx context.Context, sum Sum, r io.Reader, size int64) error {
	if size < 0 {
		return fmt.Errorf("blob: put %s: size %d is negative", sum, size)
	}
	body := &exactReader{r: r, left: size}
	resp, err := c.do(ctx, http.MethodPut, "put", sum, body, size)
	if body.err != nil {
		// The content ran short; that, not the transport's view of it,
		// is the caller's error.
		if resp != nil {
			resp.Body.Close()
		}
		return fmt.Errorf("blob: put %s: %w", sum, body.err)
	}
	if err != nil {
		return err
	}
	defer closeBody(resp)
	if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusCreated {
		return nil
	}
	return responseError(resp, "put", sum)
}

// Get implements Store. The returned reader fails with ErrHashMismatch
// (instead of io.EOF) if the bytes do not hash to sum, so a caller that reads
// to the end has checked the blob; a caller must still not act on the bytes
// before that end.
func (c *Client) Get(ctx context.Context, sum Sum) (io.ReadCloser, int64, error) {
	resp, err := c.do(ctx, http.MethodGet, "get", sum, nil, 0)
	if err != nil {
		return nil, 0, err
	}
	if resp.StatusCode != http.StatusOK {
		defer closeBody(resp)
		return nil, 0, responseError(resp, "get", sum)
	}
	if resp.ContentLength < 0 {
		closeBody(resp)
		return nil, 0, fmt.Errorf("blob: get %s: the node sent no Content-Length (is %s a LazChain node?)", sum, c.base)
	}
	return &verifyingReader{body: resp.Body, sum: sum, size: resp.ContentLength, h: sha256.New()}, resp.ContentLength, nil
}

// Stat implements Store.
func (c *Client) Stat(ctx context.Context, sum Sum) (int64, error) {
	resp, err := c.do(ctx, http.MethodHead, "stat", sum, nil, 0)
	if err != nil {
		return 0, err
	}
	defer closeBody(resp)
	if resp.StatusCode != http.StatusOK {
		return 0, responseError(resp, "stat", sum)
	}
	if resp.ContentLength < 0 {
		return 0, fmt.Errorf("blob: stat %s: the node sent no Content-Length (is %s a LazChain node?)", sum, c.base)
	}
	return resp.ContentLength, nil
}

// Delete implements Store. ErrForbidden means the node (the chain) does not
// allow deleting this blob now; the error carries the node's reason.
func (c *Client) Delete(ctx context.Context, sum Sum) error {
	resp, err := c.do(ctx, http.MethodDelete, "delete", sum, nil, 0)
	if err != nil {
		return err
	}
	defer closeBody(resp)
	if resp.StatusCode == http.StatusNoContent || resp.StatusCode == http.StatusOK {
		return nil
	}
	return responseError(resp, "delete", sum)
}

// closeBody drains a little of the body, so the connection can be reused,
// and closes it.
func closeBody(resp *http.Response) {
	io.CopyN(io.Discard, resp.Body, 64<<10)
	resp.Body.Close()
}

// responseError turns an error response into an error wrapping the sentinel
// its code (or, failing that, its status) stands for.
func responseError(resp *http.Response, op string, sum Sum) error {
	var body errorBody
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	msg := resp.Status
	if err := json.Unmarshal(raw, &body); err == nil && body.Error.Message != "" {
		msg = body.Error.Message
	} else if t := strings.TrimSpace(string(raw)); t != "" && len(t) < 300 {
		msg = resp.Status + ": " + t
	}
	var sentinel error
	switch body.Error.Code {
	case codeNotFound:
		sentinel = ErrNotFound
	case codeTooLarge:
		sentinel = ErrTooLarge
	case codeHashMismatch:
		sentinel = ErrHashMismatch
	case codeSizeMismatch:
		sentinel = ErrSizeMismatch
	case codeForbidden:
		sentinel = ErrForbidden
	default:
		switch resp.StatusCode {
		case http.StatusNotFound:
			sentinel = ErrNotFound
		case http.StatusRequestEntityTooLarge:
			sentinel = ErrTooLarge
		case http.StatusUnprocessableEntity:
			sentinel = ErrHashMismatch
		case http.StatusForbidden:
			sentinel = ErrForbidden
		}
	}
	if sentinel != nil {
		return &remoteError{op: op, sum: sum, sentinel: sentinel, msg: msg}
	}
	return fmt.Errorf("blob: %s %s: node answered %s", op, sum, msg)
}

// remoteError is an error the node answered with; it unwraps to the
// sentinel error and prints the node's own message.
type remoteError struct {
	op       string
	sum      Sum
	sentinel error
	msg      string
}

func (e *remoteError) Error() string {
	return fmt.Sprintf("blob: %s %s: %v (node said: %s)", e.op, e.sum, e.sentinel, e.msg)
}

func (e *remoteError) Unwrap() error { return e.sentinel }

// exactReader yields exactly left bytes of r, then io.EOF; it never reads
// beyond them. If r ends early it records ErrSizeMismatch.
type exactReader struct {
	r    io.Reader
	left int64
	err  error
}

func (e *exactReader) Read(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	if e.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > e.left {
		p = p[:e.left]
	}
	n, err := e.r.Read(p)
	e.left -= int64(n)
	if err == io.EOF && e.left > 0 {
		e.err = fmt.Errorf("content ended %d bytes before the announced size: %w", e.left, ErrSizeMismatch)
		return n, e.err
	}
	if err == io.EOF {
		err = nil
		if n == 0 {
			err = io.EOF
		}
	}
	return n, err
}

// verifyingReader passes a downloaded body through and, at its end, checks
// its size and SHA-256, failing instead of returning io.EOF on a mismatch.
type verifyingReader struct {
	body io.ReadCloser
	sum  Sum
	size int64
	read int64
	h    hash.Hash
	err  error
}

func (v *verifyingReader) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	n, err := v.body.Read(p)
	v.h.Write(p[:n])
	v.read += int64(n)
	switch {
	case v.read > v.size:
		v.err = fmt.Errorf("blob: get %s: node sent more than %d bytes: %w", v.sum, v.size, ErrHashMismatch)
		return n, v.err
	case err == io.EOF:
		if v.read != v.size {
			v.err = fmt.Errorf("blob: get %s: got %d of %d bytes: %w", v.sum, v.read, v.size, ErrSizeMismatch)
		} else if got := v.h.Sum(nil); !bytes.Equal(got, v.sum[:]) {
			v.err = fmt.Errorf("blob: get %s: the node sent bytes that hash to %x; do not use them: %w", v.sum, got, ErrHashMismatch)
		} else {
			v.err = io.EOF
		}
		return n, v.err
	case err != nil:
		if errors.Is(err, io.ErrUnexpectedEOF) {
			v.err = fmt.Errorf("blob: get %s: connection ended after %d of %d bytes: %w", v.sum, v.read, v.size, ErrSizeMismatch)
		} else {
			v.err = fmt.Errorf("blob: get %s: %w", v.sum, err)
		}
		return n, v.err
	}
	return n, nil
}

func (v *verifyingReader) Close() error { return v.body.Close() }
