package natsrv

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/minio/highwayhash"
	"github.com/nats-io/nats-server/v2/server"
)

// quarantineBadStreamConfigs moves aside, before the embedded server starts
// on dir, the config files (meta.inf and its checksum meta.sum) of every
// stream the server would not load: a checksum that is missing or does not
// match, unreadable JSON, an unknown field or a required API level above
// this server's. nats-server skips the first kinds and takes the stream
// offline for the others, which makes creating it fail, so the part owning
// it could not start. Without its config files the server ignores the
// stream's directory; the owner then creates the stream again with its own
// config, and the server reuses the message blocks and consumer state still
// in that directory (TestDamagedStreamConfigIsQuarantined,
// e2e TestCorruptLogRecovers). The files moved are kept under
// dir/quarantine/<account>/<stream>/stream-config-<time>/. Only the config
// is moved, never messages. It returns how many streams it repaired so; a
// missing store is no error.
func quarantineBadStreamConfigs(dir string, logger *slog.Logger) (int, error) {
	bad, err := damagedConfigs(filepath.Join(dir, "jetstream", "*", "streams", "*"), badStreamMeta)
	if err != nil {
		return 0, err
	}
	moved := 0
	for _, d := range bad {
		sdir, why := d.dir, d.why
		stream := filepath.Base(sdir)
		account := filepath.Base(filepath.Dir(filepath.Dir(sdir)))
		dst := quarantinePath(dir, account, stream, "stream-config")
		if err := os.MkdirAll(dst, 0o750); err != nil {
			return moved, fmt.Errorf("quarantine stream config %s: %w", stream, err)
		}
		for _, f := range []string{server.JetStreamMetaFile, server.JetStreamMetaFileSum} {
			err := os.Rename(filepath.Join(sdir, f), filepath.Join(dst, f))
			if err != nil && !os.IsNotExist(err) {
				return moved, fmt.Errorf("quarantine stream config %s: %w", stream, err)
			}
		}
		moved++
		logger.Warn("jetstream stream config is damaged: moved aside; the stream's owner creates it again over the messages still stored (a stream the bridge no longer creates stays on disk, unused)",
			"stream", stream, "problem", why, "moved_to", dst)
	}
	return moved, nil
}

// badStreamMeta says why the server would not load the stream config in
// directory sdir, or "" when it would.
func badStreamMeta(sdir string) string {
	buf, err := os.ReadFile(filepath.Join(sdir, server.JetStreamMetaFile))
	if err != nil {
		return "unreadable: " + err.Error()
	}
	sum, err := os.ReadFile(filepath.Join(sdir, server.JetStreamMetaFileSum))
	if err != nil {
		return "checksum unreadable: " + err.Error()
	}
	key := sha256.Sum256([]byte(filepath.Base(sdir)))
	hh, err := highwayhash.NewDigest64(key[:])
	if err != nil {
		return "checksum: " + err.Error()
	}
	hh.Write(buf)
	if hex.EncodeToString(hh.Sum(nil)) != string(sum) {
		return "checksum does not match"
	}
	var cfg server.FileStreamInfo
	if why := decodeStrict(buf, &cfg); why != "" {
		return why
	}
	return unsupportedLevel(cfg.Metadata)
}
