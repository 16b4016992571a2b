package e2e

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/minio/highwayhash"
)

// The layout of a nats-server file store message block (*.blk): records of
// a 22-byte header (length with the headers bit, sequence, timestamp,
// subject length), subject, optional headers, payload and an 8-byte hash.
const (
	blkHeader  = 22
	blkHash    = 8
	blkHdrsBit = 1 << 31
)

// newestBlock is the highest-numbered message block of the stream at dir.
func newestBlock(t *testing.T, dir string) string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "msgs", "*.blk"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no message block under %s: %v", dir, err)
	}
	num := func(f string) int {
		n, _ := strconv.Atoi(strings.TrimSuffix(filepath.Base(f), ".blk"))
		return n
	}
	sort.Slice(files, func(i, j int) bool { return num(files[i]) < num(files[j]) })
	return files[len(files)-1]
}

// lastRecord returns the offset and length of the last record of blk.
func lastRecord(t *testing.T, blk string) (buf []byte, off, n int) {
	t.Helper()
	buf, err := os.ReadFile(blk)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+blkHeader <= len(buf); {
		rl := int(binary.LittleEndian.Uint32(buf[i:]) &^ blkHdrsBit)
		if rl < blkHeader+blkHash || i+rl > len(buf) {
			t.Fatalf("%s: bad record at %d (length %d of %d bytes)", blk, i, rl, len(buf))
		}
		off, n = i, rl
		i += rl
	}
	if n == 0 {
		t.Fatalf("%s holds no record", blk)
	}
	return buf, off, n
}

// truncateLastRecord cuts blk in the middle of its last record, as a crash
// in the middle of a write would.
func truncateLastRecord(t *testing.T, blk string) {
	t.Helper()
	_, off, n := lastRecord(t, blk)
	if err := os.Truncate(blk, int64(off+n/2)); err != nil {
		t.Fatal(err)
	}
	t.Logf("truncated %s at %d, in its last record [%d, %d)", blk, off+n/2, off, off+n)
}

// flipLastRecordBit flips one bit in the payload of blk's last record.
func flipLastRecordBit(t *testing.T, blk string) {
	t.Helper()
	buf, off, n := lastRecord(t, blk)
	at := off + n - blkHash - 4 // in the payload, before the hash
	buf[at] ^= 0x10
	if err := os.WriteFile(blk, buf, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Logf("flipped a bit of %s at %d, in its last record [%d, %d)", blk, at, off, off+n)
}

// flipBit flips the bits of mask in file's byte at the offset where(buf)
// picks.
func flipBit(t *testing.T, file string, mask byte, where func(buf []byte) int) {
	t.Helper()
	buf, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	at := where(buf)
	if at < 0 || at >= len(buf) {
		t.Fatalf("%s: offset %d out of its %d bytes", file, at, len(buf))
	}
	buf[at] ^= mask
	if err := os.WriteFile(file, buf, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Logf("flipped bits %#x of %s at %d of %d bytes", mask, file, at, len(buf))
}

// at returns a where func for flipBit picking offset i.
func at(i int) func([]byte) int { return func([]byte) int { return i } }

// inString returns a where func for flipBit picking the first byte of s.
func inString(s string) func([]byte) int {
	return func(buf []byte) int { return strings.Index(string(buf), s) }
}

// flipBitResum flips bits of a stream's config (meta.inf in the stream
// directory sdir) as flipBit does and writes the checksum nats-server would
// (meta.sum), as if the damage happened before the server wrote the file.
func flipBitResum(t *testing.T, sdir string, mask byte, where func(buf []byte) int) {
	t.Helper()
	meta := filepath.Join(sdir, "meta.inf")
	flipBit(t, meta, mask, where)
	buf, err := os.ReadFile(meta)
	if err != nil {
		t.Fatal(err)
	}
	key := sha256.Sum256([]byte(filepath.Base(sdir)))
	hh, err := highwayhash.NewDigest64(key[:])
	if err != nil {
		t.Fatal(err)
	}
	hh.Write(buf)
	if err := os.WriteFile(filepath.Join(sdir, "meta.sum"), []byte(hex.EncodeToString(hh.Sum(nil))), 0o600); err != nil {
		t.Fatal(err)
	}
}
