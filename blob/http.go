package blob

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

// Options configure the HTTP handler that Register installs.
type Options struct {
	// MaxSize is the largest blob a PUT may upload, in bytes; larger
	// uploads get 413 before any byte is read. Zero or less leaves the
	// limit to the Store.
	MaxSize int64
	// CanDelete is asked before every DELETE; a non-nil error refuses the
	// deletion with 403 and the error's message. The node supplies it, as
	// only the chain knows when a blob may go. Nil refuses all deletions.
	CanDelete func(ctx context.Context, sum Sum) error
}

// Error codes in JSON error bodies, which Client maps back to the sentinel
// errors.
const (
	codeBadHash        = "bad_hash"
	codeLengthRequired = "length_required"
	codeTooLarge       = "too_large"
	codeHashMismatch   = "hash_mismatch"
	codeSizeMismatch   = "size_mismatch"
	codeNotFound       = "not_found"
	codeForbidden      = "forbidden"
	codeInternal       = "internal"
)

// errorBody is the JSON body of every error response.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// blobInfo is the JSON body of a successful PUT.
type blobInfo struct {
	SHA256 Sum   `json:"sha256"`
	Size   int64 `json:"size"`
}

// Register installs the blob API on mux, serving s:
//
//	PUT    /v1/blobs/{sha256}  store the body (Content-Length required);
//	                           201 stored, 200 already there
//	GET    /v1/blobs/{sha256}  the blob's bytes, with Content-Length
//	HEAD   /v1/blobs/{sha256}  the blob's size as Content-Length
//	DELETE /v1/blobs/{sha256}  204 once opts.CanDelete allows it
//
// Errors are JSON: {"error": {"code": "...", "message": "..."}} with 400
// (bad_hash, size_mismatch), 403 (forbidden), 404 (not_found), 411
// (length_required), 413 (too_large), 422 (hash_mismatch) or 500 (internal).
// Bodies stream between the connection and the store; nothing is buffered
// whole.
func Register(mux *http.ServeMux, s Store, opts Options) {
	h := &handler{s: s, opts: opts}
	mux.HandleFunc("PUT /v1/blobs/{sha256}", h.put)
	mux.HandleFunc("GET /v1/blobs/{sha256}", h.get)
	mux.HandleFunc("HEAD /v1/blobs/{sha256}", h.head)
	mux.HandleFunc("DELETE /v1/blobs/{sha256}", h.delete)
}

type handler struct {
	s    Store
	opts Options
}

// sum parses the path's hash, answering 400 if it is malformed.
func (h *handler) sum(w http.ResponseWriter, r *http.Request) (Sum, bool) {
	sum, err := ParseSum(r.PathValue("sha256"))
	if err != nil {
		writeError(w, http.StatusBadRequest, codeBadHash, err.Error())
		return Sum{}, false
	}
	return sum, true
}

func (h *handler) put(w http.ResponseWriter, r *http.Request) {
	sum, ok := h.sum(w, r)
	if !ok {
		return
	}
	size := r.ContentLength
	if size < 0 {
		writeError(w, http.StatusLengthRequired, codeLengthRequired,
			"PUT needs a Content-Length header: send the blob with its size, not chunked")
		return
	}
	if h.opts.MaxSize > 0 && size > h.opts.MaxSize {
		writeError(w, http.StatusRequestEntityTooLarge, codeTooLarge,
			fmt.Sprintf("blob of %d bytes is over this node's limit of %d bytes", size, h.opts.MaxSize))
		return
	}
	ctx := r.Context()
	if have, err := h.s.Stat(ctx, sum); err == nil {
		writeJSON(w, http.StatusOK, blobInfo{SHA256: sum, Size: have})
		return
	} else if !errors.Is(err, ErrNotFound) {
		h.storeError(w, err)
		return
	}
	if err := h.s.Put(ctx, sum, r.Body, size); err != nil {
		h.storeError(w, err)
		return
	}
	w.Header().Set("Location", "/v1/blobs/"+sum.String())
	writeJSON(w, http.StatusCreated, blobInfo{SHA256: sum, Size: size})
}

func (h *handler) get(w http.ResponseWriter, r *http.Request) {
	sum, ok := h.sum(w, r)
	if !ok {
		return
	}
	rc, size, err := h.s.Get(r.Context(), sum)
	if err != nil {
		h.storeError(w, err)
		return
	}
	defer rc.Close()
	setBlobHeaders(w, sum, size)
	w.WriteHeader(http.StatusOK)
	// An error here cannot change the status any more; the short body
	// tells the client, whose read fails with an unexpected EOF.
	io.CopyN(w, rc, size)
}

func (h *handler) head(w http.ResponseWriter, r *http.Request) {
	sum, ok := h.sum(w, r)
	if !ok {
		return
	}
	size, err := h.s.Stat(r.Context(), sum)
	if err != nil {
		h.storeError(w, err)
		return
	}
	setBlobHeaders(w, sum, size)
	w.WriteHeader(http.StatusOK)
}

func setBlobHeaders(w http.ResponseWriter, sum Sum, size int64) {
	hd := w.Header()
	hd.Set("Content-Type", "application/octet-stream")
	hd.Set("Content-Length", strconv.FormatInt(size, 10))
	hd.Set("ETag", `"`+sum.String()+`"`)
	hd.Set("X-Content-Type-Options", "nosniff")
}

func (h *handler) delete(w http.ResponseWriter, r *http.Request) {
	sum, ok := h.sum(w, r)
	if !ok {
		return
	}
	if h.opts.CanDelete == nil {
		writeError(w, http.StatusForbidden, codeForbidden, "this node does not allow deleting blobs")
		return
	}
	if err := h.opts.CanDelete(r.Context(), sum); err != nil {
		writeError(w, http.StatusForbidden, codeForbidden, err.Error())
		return
	}
	if err := h.s.Delete(r.Context(), sum); err != nil {
		h.storeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// storeError answers an error from the Store with the status its sentinel
// calls for.
func (h *handler) storeError(w http.ResponseWriter, err error) {
	status, code := http.StatusInternalServerError, codeInternal
	switch {
	case errors.Is(err, ErrNotFound):
		status, code = http.StatusNotFound, codeNotFound
	case errors.Is(err, ErrTooLarge):
		status, code = http.StatusRequestEntityTooLarge, codeTooLarge
	case errors.Is(err, ErrHashMismatch):
		status, code = http.StatusUnprocessableEntity, codeHashMismatch
	case errors.Is(err, ErrSizeMismatch):
		status, code = http.StatusBadRequest, codeSizeMismatch
	case errors.Is(err, ErrForbidden):
		status, code = http.StatusForbidden, codeForbidden
	}
	writeError(w, status, code, err.Error())
}

func writeError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, errorBody{Error: errorDetail{Code: code, Message: message}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		fmt.Fprintf(&buf, `{"error":{"code":%q,"message":"encoding the answer failed"}}`+"\n", codeInternal)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}
