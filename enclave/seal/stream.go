package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// ChunkSize is the number of plaintext bytes in every chunk but the last one
// of a stream that Encrypt writes. The chunk size is recorded in each stream's
// header, so a reader follows the header, not this constant.
const ChunkSize = 64 << 10

// DataKeySize is the length in bytes of a data key: an AES-256 key.
const DataKeySize = 32

// Stream format constants.
const (
	magic          = "LZS1"
	version        = 1
	noncePrefixLen = 8 // random per stream; the other 4 nonce bytes count chunks
	// headerSize is magic, version, chunk size (uint32) and nonce prefix.
	headerSize = 4 + 1 + 4 + noncePrefixLen
	tagSize    = 16 // AES-GCM tag
	// Bounds on the chunk size a header may announce, so a hostile header
	// cannot make a reader allocate much memory.
	minChunkSize = 16
	maxChunkSize = 4 << 20
	// maxChunks is how many chunks the 32-bit nonce counter can number.
	maxChunks = math.MaxUint32 + 1
)

var (
	// ErrTampered means a sealed stream did not authenticate: the data key is
	// wrong, or the stream was modified (flipped bytes, reordered or swapped
	// chunks, data after the final chunk, or a chunk cut short). Discard
	// everything read from the stream.
	ErrTampered = errors.New("sealed stream failed authentication (wrong data key, or the data was modified)")
	// ErrTruncated means a sealed stream ended before its final chunk. Discard
	// everything read from the stream and fetch it again.
	ErrTruncated = errors.New("sealed stream is truncated (it ends before its final chunk)")
	// ErrFormat means the input is not a sealed stream this package can read:
	// its magic, version or chunk size is not one it knows.
	ErrFormat = errors.New("not a LazChain sealed stream of a supported version")
)

// NewDataKey returns a fresh random data key of DataKeySize bytes from
// crypto/rand. Use a new key for every contribution.
func NewDataKey() ([]byte, error) {
	k := make([]byte, DataKeySize)
	if _, err := io.ReadFull(rand.Reader, k); err != nil {
		return nil, fmt.Errorf("seal: reading random data key: %w", err)
	}
	return k, nil
}

// SealedSize returns the length of the sealed stream that Encrypt writes for
// a plaintext of n bytes, or -1 if n is negative or too large to seal.
func SealedSize(n int64) int64 {
	if n < 0 {
		return -1
	}
	chunks := n/ChunkSize + 1 // a plaintext that fills its last chunk still gets a (possibly full) final chunk
	if n > 0 && n%ChunkSize == 0 {
		chunks--
	}
	if chunks > maxChunks || n > math.MaxInt64-int64(headerSize)-chunks*tagSize {
		return -1
	}
	return int64(headerSize) + n + chunks*tagSize
}

// newAEAD returns AES-256-GCM under key.
func newAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != DataKeySize {
		return nil, fmt.Errorf("seal: data key is %d bytes, want %d (use NewDataKey)", len(key), DataKeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("seal: AES key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("seal: AES-GCM: %w", err)
	}
	return aead, nil
}

// chunkParams holds the per-stream nonce and additional data, which every
// chunk reuses with its own counter and final flag written in.
type chunkParams struct {
	nonce [12]byte                 // prefix || uint32 counter
	ad    [headerSize + 4 + 1]byte // header || uint32 counter || final flag
}

func newChunkParams(header []byte) *chunkParams {
	p := new(chunkParams)
	copy(p.nonce[:], header[headerSize-noncePrefixLen:headerSize])
	copy(p.ad[:], header)
	return p
}

// set writes chunk number i and its final flag into the nonce and the
// additional data.
func (p *chunkParams) set(i uint64, final bool) {
	binary.BigEndian.PutUint32(p.nonce[noncePrefixLen:], uint32(i))
	binary.BigEndian.PutUint32(p.ad[headerSize:], uint32(i))
	p.ad[headerSize+4] = 0
	if final {
		p.ad[headerSize+4] = 1
	}
}

// Encrypt reads plaintext from r until io.EOF, writes the sealed stream to w
// under key (DataKeySize bytes), and returns the number of plaintext bytes.
//
// The stream is a header of 17 bytes — the magic "LZS1", a version byte (1),
// the chunk size as a big-endian uint32 and an 8-byte random nonce prefix —
// then the chunks. Each chunk seals up to chunk-size plaintext bytes with
// AES-256-GCM (16-byte tag), with nonce = prefix || big-endian uint32 chunk
// counter and additional data = header || counter || final flag (one byte, 1
// on the last chunk). Every chunk but the last holds exactly chunk-size
// plaintext bytes; the last holds 0 to chunk-size bytes, so an empty plaintext
// is one empty final chunk. Memory use is O(ChunkSize) whatever the input
// size.
//
// If Encrypt fails, what it wrote to w is not a valid stream; discard it.
func Encrypt(w io.Writer, r io.Reader, key []byte) (int64, error) {
	return encrypt(w, r, key, ChunkSize)
}

func encrypt(w io.Writer, r io.Reader, key []byte, chunkSize int) (int64, error) {
	if chunkSize < minChunkSize || chunkSize > maxChunkSize {
		return 0, fmt.Errorf("seal: chunk size %d is outside [%d, %d]", chunkSize, minChunkSize, maxChunkSize)
	}
	aead, err := newAEAD(key)
	if err != nil {
		return 0, err
	}
	header := make([]byte, headerSize)
	copy(header, magic)
	header[len(magic)] = version
	binary.BigEndian.PutUint32(header[len(magic)+1:], uint32(chunkSize))
	if _, err := io.ReadFull(rand.Reader, header[headerSize-noncePrefixLen:]); err != nil {
		return 0, fmt.Errorf("seal: reading random nonce prefix: %w", err)
	}
	if _, err := w.Write(header); err != nil {
		return 0, fmt.Errorf("seal: writing stream header: %w", err)
	}
	params := newChunkParams(header)

	// buf holds one chunk plus one byte of lookahead, which tells whether the
	// chunk is the last; chunks are sealed in place, hence the tag's room.
	buf := make([]byte, chunkSize+tagSize)
	var (
		total int64
		have  int // bytes already in buf (the lookahead byte carried over)
	)
	for i := uint64(0); ; i++ {
		if i >= maxChunks {
			return total, fmt.Errorf("seal: plaintext is longer than %d chunks of %d bytes; it cannot be sealed as one stream", uint64(maxChunks), chunkSize)
		}
		n, err := io.ReadFull(r, buf[have:chunkSize+1])
		n += have
		final := false
		switch {
		case err == io.EOF || err == io.ErrUnexpectedEOF:
			final = true
		case err != nil:
			return total, fmt.Errorf("seal: reading plaintext: %w", err)
		}
		size := n
		var carry byte
		if !final {
			size = chunkSize
			carry = buf[chunkSize]
		}
		params.set(i, final)
		sealed := aead.Seal(buf[:0], params.nonce[:], buf[:size], params.ad[:])
		if _, err := w.Write(sealed); err != nil {
			return total, fmt.Errorf("seal: writing chunk %d: %w", i, err)
		}
		total += int64(size)
		if final {
			return total, nil
		}
		buf[0] = carry
		have = 1
	}
}

// reader reads the plaintext of a sealed stream.
type reader struct {
	r         io.Reader
	aead      cipher.AEAD
	params    *chunkParams
	chunkSize int
	ct        []byte // one sealed chunk plus one byte of lookahead
	have      int    // bytes already in ct (the carried lookahead byte)
	pt        []byte // authenticated plaintext not yet returned
	ptBuf     []byte
	next      uint64 // number of the next chunk to open
	done      bool   // the final chunk has been opened
	err       error  // sticky error
}

// NewReader reads the header of the sealed stream r and returns a reader of
// its plaintext under key. The reader returns only bytes of chunks that
// authenticated; it returns io.EOF only after the final chunk, and an error
// wrapping ErrTampered or ErrTruncated if the stream was modified or cut
// short. Bytes it returned before such an error came from authentic chunks,
// but the stream as a whole is not valid: discard them.
func NewReader(r io.Reader, key []byte) (io.Reader, error) {
	return newReader(r, key)
}

func newReader(r io.Reader, key []byte) (*reader, error) {
	aead, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	header := make([]byte, headerSize)
	if _, err := io.ReadFull(r, header); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil, fmt.Errorf("seal: stream ends inside its %d-byte header: %w", headerSize, ErrTruncated)
		}
		return nil, fmt.Errorf("seal: reading stream header: %w", err)
	}
	if string(header[:len(magic)]) != magic {
		return nil, fmt.Errorf("seal: stream does not start with %q: %w", magic, ErrFormat)
	}
	if v := header[len(magic)]; v != version {
		return nil, fmt.Errorf("seal: stream version %d, this reader knows only %d (update the software): %w", v, version, ErrFormat)
	}
	cs := binary.BigEndian.Uint32(header[len(magic)+1:])
	if cs < minChunkSize || cs > maxChunkSize {
		return nil, fmt.Errorf("seal: header announces chunk size %d, outside [%d, %d]: %w", cs, minChunkSize, maxChunkSize, ErrFormat)
	}
	chunkSize := int(cs)
	return &reader{
		r:         r,
		aead:      aead,
		params:    newChunkParams(header),
		chunkSize: chunkSize,
		ct:        make([]byte, chunkSize+tagSize+1),
		ptBuf:     make([]byte, 0, chunkSize),
	}, nil
}

// Read reads authenticated plaintext into p.
func (d *reader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for len(d.pt) == 0 {
		if err := d.nextChunk(); err != nil {
			return 0, err
		}
	}
	n := copy(p, d.pt)
	d.pt = d.pt[n:]
	return n, nil
}

// WriteTo writes the remaining plaintext to w, chunk by chunk, and returns
// the number of bytes written. It lets io.Copy skip an intermediate buffer.
func (d *reader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for {
		if len(d.pt) > 0 {
			n, err := w.Write(d.pt)
			total += int64(n)
			d.pt = d.pt[n:]
			if err == nil && len(d.pt) > 0 {
				err = io.ErrShortWrite
			}
			if err != nil {
				return total, fmt.Errorf("seal: writing plaintext: %w", err)
			}
		}
		if err := d.nextChunk(); err != nil {
			if err == io.EOF {
				return total, nil
			}
			return total, err
		}
	}
}

// nextChunk reads and opens the next chunk into d.pt, or returns io.EOF after
// the final chunk, or the sticky error.
func (d *reader) nextChunk() error {
	if d.err != nil {
		return d.err
	}
	if d.done {
		return io.EOF
	}
	d.err = d.open()
	return d.err
}

func (d *reader) open() error {
	i := d.next
	full := d.chunkSize + tagSize
	n, err := io.ReadFull(d.r, d.ct[d.have:full+1])
	n += d.have
	final := false
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		final = true
	case err != nil:
		return fmt.Errorf("seal: reading chunk %d: %w", i, err)
	}
	if i >= maxChunks {
		return fmt.Errorf("seal: stream has more than %d chunks: %w", uint64(maxChunks), ErrTampered)
	}
	if final {
		if n == 0 {
			return fmt.Errorf("seal: stream ends after %d chunks without its final chunk: %w", i, ErrTruncated)
		}
		if n < tagSize {
			return fmt.Errorf("seal: chunk %d is cut short (%d bytes): %w", i, n, ErrTruncated)
		}
		pt, ok := d.try(i, true, d.ct[:n])
		if ok {
			d.pt, d.done, d.next = pt, true, i+1
			return nil
		}
		// Tell a stream cut at a chunk boundary from a modified one.
		if n == full {
			if _, ok := d.try(i, false, d.ct[:n]); ok {
				return fmt.Errorf("seal: stream ends after chunk %d, which is not its final chunk: %w", i, ErrTruncated)
			}
		}
		return fmt.Errorf("seal: final chunk %d did not authenticate: %w", i, ErrTampered)
	}
	pt, ok := d.try(i, false, d.ct[:full])
	if !ok {
		if _, ok := d.try(i, true, d.ct[:full]); ok {
			return fmt.Errorf("seal: data follows final chunk %d: %w", i, ErrTampered)
		}
		return fmt.Errorf("seal: chunk %d did not authenticate: %w", i, ErrTampered)
	}
	d.pt, d.next = pt, i+1
	d.ct[0] = d.ct[full]
	d.have = 1
	return nil
}

// try opens sealed as chunk i with the given final flag into d.ptBuf.
func (d *reader) try(i uint64, final bool, sealed []byte) ([]byte, bool) {
	d.params.set(i, final)
	pt, err := d.aead.Open(d.ptBuf[:0], d.params.nonce[:], sealed, d.params.ad[:])
	return pt, err == nil
}

// Decrypt copies the plaintext of the sealed stream r to w and returns the
// number of bytes written. On error, what was written to w must be discarded:
// it is a prefix of the plaintext at best.
func Decrypt(w io.Writer, r io.Reader, key []byte) (int64, error) {
	d, err := newReader(r, key)
	if err != nil {
		return 0, err
	}
	return d.WriteTo(w)
}
