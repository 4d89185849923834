package seal

import (
	"bytes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// chunkSize is the plaintext size of one sealed chunk of a stream.
const chunkSize = 64 << 10

// A sealed stream is a header, then chunks:
//
//	header: version (1) | key ID length (1) | key ID | stream nonce prefix (7)
//	chunk:  ciphertext of up to chunkSize bytes and its 16-byte tag
//
// Each chunk's nonce is the prefix, a 4-byte big-endian counter and a byte
// that is 1 on the last chunk only, so chunks cannot be reordered, dropped
// or cut off at the end without Open failing (the STREAM construction).
const prefixSize = 7

// NewWriter returns a writer that seals what is written to it into w under
// the active key, bound to aad. Close must be called to write the last
// chunk; it does not close w.
func (k *Keyring) NewWriter(w io.Writer, aad []byte) (io.WriteCloser, error) {
	prefix := make([]byte, prefixSize)
	if _, err := rand.Read(prefix); err != nil {
		return nil, fmt.Errorf("seal stream: read random nonce: %w", err)
	}
	header := append([]byte{version, byte(len(k.active))}, k.active...)
	header = append(header, prefix...)
	if _, err := w.Write(header); err != nil {
		return nil, fmt.Errorf("seal stream: write header: %w", err)
	}
	return &streamWriter{w: w, aead: k.aeads[k.active], prefix: prefix, aad: aad, buf: make([]byte, 0, chunkSize)}, nil
}

type streamWriter struct {
	w       io.Writer
	aead    cipher.AEAD
	prefix  []byte
	aad     []byte
	buf     []byte
	counter uint32
	closed  bool
}

func (s *streamWriter) Write(p []byte) (int, error) {
	if s.closed {
		return 0, errors.New("seal stream: write after close")
	}
	n := 0
	for len(p) > 0 {
		// Hold a full chunk back until more arrives, so that the last
		// chunk is known when Close is called.
		if len(s.buf) == chunkSize {
			if err := s.flush(false); err != nil {
				return n, err
			}
		}
		m := copy(s.buf[len(s.buf):chunkSize], p)
		s.buf = s.buf[:len(s.buf)+m]
		p = p[m:]
		n += m
	}
	return n, nil
}

func (s *streamWriter) flush(last bool) error {
	if s.counter == ^uint32(0) {
		return errors.New("seal stream: too long")
	}
	out := s.aead.Seal(nil, chunkNonce(s.prefix, s.counter, last), s.buf, s.aad)
	s.counter++
	s.buf = s.buf[:0]
	if _, err := s.w.Write(out); err != nil {
		return fmt.Errorf("seal stream: write chunk: %w", err)
	}
	return nil
}

// Close seals and writes the last chunk.
func (s *streamWriter) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	return s.flush(true)
}

func chunkNonce(prefix []byte, counter uint32, last bool) []byte {
	nonce := make([]byte, nonceSize)
	copy(nonce, prefix)
	binary.BigEndian.PutUint32(nonce[prefixSize:], counter)
	if last {
		nonce[nonceSize-1] = 1
	}
	return nonce
}

// NewReader returns a reader of the plaintext of a stream made by
// NewWriter with the same aad. A stream that was altered, reordered or cut
// short fails with ErrCorrupt before its damaged part is returned.
func (k *Keyring) NewReader(r io.Reader, aad []byte) (io.Reader, error) {
	head := make([]byte, 2)
	if _, err := io.ReadFull(r, head); err != nil || head[0] != version || head[1] == 0 || int(head[1]) > maxIDLen {
		return nil, ErrCorrupt
	}
	rest := make([]byte, int(head[1])+prefixSize)
	if _, err := io.ReadFull(r, rest); err != nil {
		return nil, ErrCorrupt
	}
	id := string(rest[:head[1]])
	aead, ok := k.aeads[id]
	if !ok {
		return nil, fmt.Errorf("open stream with key %s: %w", id, ErrUnknownKey)
	}
	return &streamReader{r: r, aead: aead, prefix: rest[head[1]:], aad: aad}, nil
}

// StreamKeyID returns the ID of the key a stream was sealed with, from its
// first bytes.
func StreamKeyID(header []byte) (string, error) {
	id, _, err := split(header)
	return id, err
}

type streamReader struct {
	r       io.Reader
	aead    cipher.AEAD
	prefix  []byte
	aad     []byte
	counter uint32
	plain   bytes.Reader
	next    []byte // the chunk read ahead, to know whether the current is last
	done    bool
	err     error
}

func (s *streamReader) Read(p []byte) (int, error) {
	for s.plain.Len() == 0 {
		if s.err != nil {
			return 0, s.err
		}
		if s.done {
			return 0, io.EOF
		}
		s.err = s.readChunk()
	}
	return s.plain.Read(p)
}

func (s *streamReader) readChunk() error {
	size := chunkSize + s.aead.Overhead()
	if s.next == nil {
		first := make([]byte, size)
		n, err := io.ReadFull(s.r, first)
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read sealed stream: %w", err)
		}
		s.next = first[:n]
	}
	cur := s.next
	ahead := make([]byte, size)
	n, err := io.ReadFull(s.r, ahead)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read sealed stream: %w", err)
	}
	last := n == 0
	s.next = ahead[:n]
	plain, oerr := s.aead.Open(nil, chunkNonce(s.prefix, s.counter, last), cur, s.aad)
	if oerr != nil {
		return ErrCorrupt
	}
	s.counter++
	s.done = last
	s.plain.Reset(plain)
	return nil
}
