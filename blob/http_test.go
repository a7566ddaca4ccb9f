package blob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"testing/iotest"
)

func newServer(t testing.TB, s Store, opts Options) (*httptest.Server, *Client) {
	t.Helper()
	mux := http.NewServeMux()
	Register(mux, s, opts)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, NewClient(srv.URL+"/", nil) // a trailing slash is fine
}

func allowAll(context.Context, Sum) error { return nil }

func TestHTTPRoundTrip(t *testing.T) {
	ctx := context.Background()
	d, _ := newDir(t, 1<<20)
	_, c := newServer(t, d, Options{MaxSize: 1 << 20, CanDelete: allowAll})
	for _, size := range []int{0, 1, 100 << 10} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			data := randBytes(t, size)
			sum := sumOf(data)
			if err := c.Put(ctx, sum, bytes.NewReader(data), int64(size)); err != nil {
				t.Fatalf("Put: %v", err)
			}
			// The data went to the backing store.
			if !bytes.Equal(readAll(t, d, sum), data) {
				t.Fatal("store holds other bytes")
			}
			if n, err := c.Stat(ctx, sum); err != nil || n != int64(size) {
				t.Fatalf("Stat = %d, %v", n, err)
			}
			if !bytes.Equal(readAll(t, c, sum), data) {
				t.Fatal("Get returned other bytes")
			}
			if err := c.Put(ctx, sum, bytes.NewReader(data), int64(size)); err != nil {
				t.Fatalf("second Put: %v", err)
			}
			if err := c.Delete(ctx, sum); err != nil {
				t.Fatalf("Delete: %v", err)
			}
			if _, err := c.Stat(ctx, sum); !errors.Is(err, ErrNotFound) {
				t.Fatalf("Stat after Delete: %v", err)
			}
			if _, err := d.Stat(ctx, sum); !errors.Is(err, ErrNotFound) {
				t.Fatalf("store Stat after Delete: %v", err)
			}
		})
	}
}

type rawResult struct {
	status int
	header http.Header
	body   []byte
}

func raw(t *testing.T, method, url string, body io.Reader, size int64) rawResult {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.ContentLength = size
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return rawResult{resp.StatusCode, resp.Header, b}
}

// TestHTTPStatuses checks the status and JSON error of every route's cases
// with plain HTTP requests.
func TestHTTPStatuses(t *testing.T) {
	d, _ := newDir(t, 1<<20)
	srv, _ := newServer(t, d, Options{MaxSize: 1000, CanDelete: allowAll})
	data := randBytes(t, 500)
	sum := sumOf(data)
	absent := sumOf([]byte("absent"))
	u := func(s any) string { return fmt.Sprintf("%s/v1/blobs/%v", srv.URL, s) }

	// unknownLength hides the body's length, so the request is chunked.
	unknownLength := func(b []byte) io.Reader { return io.MultiReader(bytes.NewReader(b)) }

	tests := []struct {
		name   string
		method string
		url    string
		body   io.Reader
		size   int64
		status int
		code   string
	}{
		{"put", "PUT", u(sum), bytes.NewReader(data), 500, http.StatusCreated, ""},
		{"put again", "PUT", u(sum), bytes.NewReader(data), 500, http.StatusOK, ""},
		{"put upper-case hash", "PUT", u(strings.ToUpper(sum.String())), bytes.NewReader(data), 500, http.StatusOK, ""},
		{"get", "GET", u(sum), nil, 0, http.StatusOK, ""},
		{"head", "HEAD", u(sum), nil, 0, http.StatusOK, ""},
		{"get absent", "GET", u(absent), nil, 0, http.StatusNotFound, codeNotFound},
		{"head absent", "HEAD", u(absent), nil, 0, http.StatusNotFound, ""},
		{"delete absent", "DELETE", u(absent), nil, 0, http.StatusNotFound, codeNotFound},
		{"put without length", "PUT", u(absent), unknownLength([]byte("absent")), -1, http.StatusLengthRequired, codeLengthRequired},
		{"put too large", "PUT", u(absent), bytes.NewReader(make([]byte, 1001)), 1001, http.StatusRequestEntityTooLarge, codeTooLarge},
		{"put mismatch", "PUT", u(absent), bytes.NewReader(data), 500, http.StatusUnprocessableEntity, codeHashMismatch},
		{"get bad hash", "GET", u("xyz"), nil, 0, http.StatusBadRequest, codeBadHash},
		{"head bad hash", "HEAD", u("xyz"), nil, 0, http.StatusBadRequest, ""},
		{"put bad hash", "PUT", u(sum.String()[:63] + "g"), bytes.NewReader(data), 500, http.StatusBadRequest, codeBadHash},
		{"put long hash", "PUT", u(sum.String() + "00"), bytes.NewReader(data), 500, http.StatusBadRequest, codeBadHash},
		{"delete bad hash", "DELETE", u("0"), nil, 0, http.StatusBadRequest, codeBadHash},
		{"post", "POST", u(sum), bytes.NewReader(data), 500, http.StatusMethodNotAllowed, ""},
		{"delete", "DELETE", u(sum), nil, 0, http.StatusNoContent, ""},
		{"get deleted", "GET", u(sum), nil, 0, http.StatusNotFound, codeNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := raw(t, tt.method, tt.url, tt.body, tt.size)
			if res.status != tt.status {
				t.Fatalf("status %d, want %d; body %s", res.status, tt.status, res.body)
			}
			if tt.code != "" {
				var e errorBody
				if err := json.Unmarshal(res.body, &e); err != nil {
					t.Fatalf("error body %q is not JSON: %v", res.body, err)
				}
				if e.Error.Code != tt.code || e.Error.Message == "" {
					t.Fatalf("error body %s, want code %s and a message", res.body, tt.code)
				}
			}
		})
	}

	// Successful PUT bodies and GET headers.
	other := randBytes(t, 10)
	res := raw(t, "PUT", u(sumOf(other)), bytes.NewReader(other), 10)
	var info blobInfo
	if err := json.Unmarshal(res.body, &info); err != nil || info.SHA256 != sumOf(other) || info.Size != 10 {
		t.Fatalf("PUT answered %s (%v)", res.body, err)
	}
	if loc := res.header.Get("Location"); loc != "/v1/blobs/"+sumOf(other).String() {
		t.Fatalf("Location %q", loc)
	}
	res = raw(t, "GET", u(sumOf(other)), nil, 0)
	if !bytes.Equal(res.body, other) || res.header.Get("Content-Length") != "10" || res.header.Get("Content-Type") != "application/octet-stream" {
		t.Fatalf("GET: %v %q", res.header, res.body)
	}
	res = raw(t, "HEAD", u(sumOf(other)), nil, 0)
	if res.header.Get("Content-Length") != "10" || len(res.body) != 0 {
		t.Fatalf("HEAD: %v %q", res.header, res.body)
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func TestClientErrors(t *testing.T) {
	ctx := context.Background()
	d, _ := newDir(t, 2<<20) // the store's limit is above the handler's
	_, c := newServer(t, d, Options{MaxSize: 1 << 20})
	data := randBytes(t, 1000)
	sum := sumOf(data)

	if _, _, err := c.Get(ctx, sum); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get absent: %v", err)
	}
	if _, err := c.Stat(ctx, sum); !errors.Is(err, ErrNotFound) {
		t.Errorf("Stat absent: %v", err)
	}
	if err := c.Put(ctx, sum, bytes.NewReader(randBytes(t, 1000)), 1000); !errors.Is(err, ErrHashMismatch) {
		t.Errorf("Put mismatch: %v", err)
	}
	if err := c.Put(ctx, sum, bytes.NewReader(data[:999]), 1000); !errors.Is(err, ErrSizeMismatch) {
		t.Errorf("Put short: %v", err)
	}
	// A refused upload is answered before the body is sent (Expect:
	// 100-continue), and the node says why.
	big := &countingReader{r: bytes.NewReader(make([]byte, 8<<20))}
	err := c.Put(ctx, sumOf(make([]byte, 8<<20)), big, 8<<20)
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "limit") {
		t.Errorf("Put too large: %v", err)
	}
	if n := big.n.Load(); n >= 8<<20 {
		t.Errorf("the client sent all %d bytes of a refused upload", n)
	}
	if err := c.Put(ctx, sum, bytes.NewReader(data), -1); err == nil {
		t.Error("negative size accepted")
	}
	// Nothing was stored by the failures.
	if _, err := d.Stat(ctx, sum); !errors.Is(err, ErrNotFound) {
		t.Errorf("a failed Put stored the object: %v", err)
	}
	// Without CanDelete, deletion is refused.
	if err := c.Put(ctx, sum, bytes.NewReader(data), 1000); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, sum); !errors.Is(err, ErrForbidden) {
		t.Errorf("Delete without CanDelete: %v", err)
	}
	// A node that is not there.
	dead := NewClient("http://127.0.0.1:1", nil)
	if _, err := dead.Stat(ctx, sum); err == nil || errors.Is(err, ErrNotFound) {
		t.Errorf("Stat on a dead node: %v", err)
	}
	if _, err := NewClient("http://bad host", nil).Stat(ctx, sum); err == nil {
		t.Error("bad URL accepted")
	}
}

// TestClientPutTooLargeFromStore checks that the store's own limit reaches
// the client as ErrTooLarge when the handler has none.
func TestClientPutTooLargeFromStore(t *testing.T) {
	d, _ := newDir(t, 100)
	_, c := newServer(t, d, Options{})
	data := randBytes(t, 101)
	if err := c.Put(context.Background(), sumOf(data), bytes.NewReader(data), 101); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Put: %v", err)
	}
}

func TestHTTPCanDelete(t *testing.T) {
	ctx := context.Background()
	d, _ := newDir(t, 1<<20)
	var allowed atomic.Bool
	var asked atomic.Value
	_, c := newServer(t, d, Options{CanDelete: func(_ context.Context, s Sum) error {
		asked.Store(s)
		if !allowed.Load() {
			return errors.New("pool 7 still lists this contribution")
		}
		return nil
	}})
	data := randBytes(t, 100)
	sum := sumOf(data)
	if err := c.Put(ctx, sum, bytes.NewReader(data), 100); err != nil {
		t.Fatal(err)
	}
	err := c.Delete(ctx, sum)
	if !errors.Is(err, ErrForbidden) || !strings.Contains(err.Error(), "pool 7 still lists this contribution") {
		t.Fatalf("refused Delete: %v", err)
	}
	if asked.Load() != sum {
		t.Fatalf("CanDelete asked about %v, not %v", asked.Load(), sum)
	}
	if n, err := c.Stat(ctx, sum); err != nil || n != 100 {
		t.Fatalf("object gone after a refused Delete: %d, %v", n, err)
	}
	allowed.Store(true)
	if err := c.Delete(ctx, sum); err != nil {
		t.Fatalf("allowed Delete: %v", err)
	}
	if _, err := d.Stat(ctx, sum); !errors.Is(err, ErrNotFound) {
		t.Fatalf("object still stored: %v", err)
	}
	if err := c.Delete(ctx, sum); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Delete absent: %v", err)
	}
}

// lyingStore serves other bytes than the ones it was asked for.
type lyingStore struct {
	Store
	data  []byte
	short bool
}

func (l lyingStore) Get(ctx context.Context, sum Sum) (io.ReadCloser, int64, error) {
	if l.short {
		return io.NopCloser(bytes.NewReader(l.data[:len(l.data)/2])), int64(len(l.data)), nil
	}
	return io.NopCloser(bytes.NewReader(l.data)), int64(len(l.data)), nil
}

func TestClientVerifiesDownloads(t *testing.T) {
	ctx := context.Background()
	data := randBytes(t, 200<<10)
	sum := sumOf(data)
	for _, tt := range []struct {
		name  string
		store lyingStore
		want  error
	}{
		{"other bytes", lyingStore{data: randBytes(t, len(data))}, ErrHashMismatch},
		{"cut short", lyingStore{data: data, short: true}, ErrSizeMismatch},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, c := newServer(t, tt.store, Options{})
			rc, n, err := c.Get(ctx, sum)
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			if n != int64(len(data)) {
				t.Fatalf("size %d", n)
			}
			if _, err := io.Copy(io.Discard, rc); !errors.Is(err, tt.want) {
				t.Fatalf("reading: %v, want %v", err, tt.want)
			}
		})
	}
}

func TestClientNonJSONError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "upstream down", http.StatusBadGateway)
	}))
	defer srv.Close()
	_, err := NewClient(srv.URL, srv.Client()).Stat(context.Background(), Sum{})
	if err == nil || errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "502") {
		t.Fatalf("Stat: %v", err)
	}
	_, _, err = NewClient(srv.URL, srv.Client()).Get(context.Background(), Sum{})
	if err == nil || !strings.Contains(err.Error(), "upstream down") {
		t.Fatalf("Get: %v", err)
	}
}

// gen is a deterministic, allocation-free source of pseudo-random bytes.
type gen struct{ s uint64 }

func (g *gen) Read(p []byte) (int, error) {
	for i := range p {
		g.s ^= g.s << 13
		g.s ^= g.s >> 7
		g.s ^= g.s << 17
		p[i] = byte(g.s >> 32)
	}
	return len(p), nil
}

// hookReader calls hook once, when the bytes read through it first reach at.
type hookReader struct {
	r    io.Reader
	read int64
	at   int64
	hook func()
}

func (h *hookReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	before := h.read
	h.read += int64(n)
	if before < h.at && h.read >= h.at {
		h.hook()
	}
	return n, err
}

// TestHTTPStreamingUpload sends 32 MiB from a generator through Client and
// the handler into a Dir. When the client has produced 28 MiB, the server's
// temporary file must already hold most of them (it streams to disk rather
// than buffering the body), and the bytes allocated by the whole process
// during the upload (runtime.MemStats.TotalAlloc) must stay far below the
// upload's size.
func TestHTTPStreamingUpload(t *testing.T) {
	const size = 32 << 20
	ctx := context.Background()
	d, path := newDir(t, 1<<30)
	_, c := newServer(t, d, Options{MaxSize: 1 << 30})
	h := sha256.New()
	if _, err := io.Copy(h, io.LimitReader(&gen{s: 99}, size)); err != nil {
		t.Fatal(err)
	}
	sum := Sum(h.Sum(nil))

	var onDisk atomic.Int64
	src := &hookReader{r: io.LimitReader(&gen{s: 99}, size), at: 28 << 20, hook: func() {
		es, _ := os.ReadDir(filepath.Join(path, tmpDirName))
		for _, e := range es {
			if fi, err := e.Info(); err == nil {
				onDisk.Store(max(onDisk.Load(), fi.Size()))
			}
		}
	}}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	err := c.Put(ctx, sum, src, size)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("server had %d MiB on disk when the client had read 28 MiB; %d KiB allocated in all", onDisk.Load()>>20, alloc>>10)
	if onDisk.Load() < 16<<20 {
		t.Fatalf("only %d bytes on disk when the client had sent 28 MiB: the handler does not stream", onDisk.Load())
	}
	if alloc > 8<<20 {
		t.Fatalf("allocated %d bytes to upload %d: something buffers the body", alloc, size)
	}
	// And it comes back intact through the verifying client.
	rc, n, err := c.Get(ctx, sum)
	if err != nil || n != size {
		t.Fatalf("Get = %d, %v", n, err)
	}
	defer rc.Close()
	back := sha256.New()
	if _, err := io.Copy(back, iotest.HalfReader(rc)); err != nil {
		t.Fatalf("reading back: %v", err)
	}
	if Sum(back.Sum(nil)) != sum {
		t.Fatal("downloaded bytes differ")
	}
}
