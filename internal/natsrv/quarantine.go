package natsrv

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// quarantineDir is where, under the embedded server's Dir, the files of
// consumers that could not be loaded are moved (outside the jetstream
// directory the server reads).
const quarantineDir = "quarantine"

// quarantineBadConsumers moves aside, before the embedded server starts on
// dir, every durable consumer whose config file (meta.inf) the server would
// refuse: unreadable JSON, an unknown field, or a required API level above
// this server's. nats-server skips the first kind, but with the others it
// stops the whole stream in single-server mode ("stopped - unsupported
// consumer"), so one flipped bit in a cursor's config would take the event
// log down. A moved consumer is gone for the server; its owner recreates it
// (the event log's readers then read the retained segments again: at least
// once). The files are kept under dir/quarantine/<account>/<stream>/ for
// inspection. It returns how many consumers it moved; a missing store is no
// error.
func quarantineBadConsumers(dir string, logger *slog.Logger) (int, error) {
	bad, err := damagedConfigs(filepath.Join(dir, "jetstream", "*", "streams", "*", "obs", "*"), func(odir string) string {
		return badConsumerMeta(filepath.Join(odir, server.JetStreamMetaFile))
	})
	if err != nil {
		return 0, err
	}
	moved := 0
	for _, d := range bad {
		odir, why := d.dir, d.why
		consumer := filepath.Base(odir)
		stream := filepath.Base(filepath.Dir(filepath.Dir(odir)))
		account := filepath.Base(filepath.Dir(filepath.Dir(filepath.Dir(filepath.Dir(odir)))))
		dst := quarantinePath(dir, account, stream, consumer)
		if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
			return moved, fmt.Errorf("quarantine consumer %s > %s: %w", stream, consumer, err)
		}
		if err := os.Rename(odir, dst); err != nil {
			return moved, fmt.Errorf("quarantine consumer %s > %s: %w", stream, consumer, err)
		}
		moved++
		logger.Warn("jetstream consumer config is damaged: moved aside; its owner recreates it, which reads the stream again from its start",
			"stream", stream, "consumer", consumer, "problem", why, "moved_to", dst)
	}
	return moved, nil
}

// badConsumerMeta says why the server would not load the consumer config in
// file, or "" when it would.
func badConsumerMeta(file string) string {
	buf, err := os.ReadFile(file)
	if err != nil {
		return "unreadable: " + err.Error()
	}
	var cfg server.FileConsumerInfo
	if why := decodeStrict(buf, &cfg); why != "" {
		return why
	}
	return unsupportedLevel(cfg.Metadata)
}

// decodeStrict decodes the JSON config buf into v as the server does at
// recovery, refusing unknown fields; it says why that fails, or "".
func decodeStrict(buf []byte, v any) string {
	dec := json.NewDecoder(bytes.NewReader(buf))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) {
			return "not JSON"
		}
		return "does not decode: " + err.Error()
	}
	return ""
}

// unsupportedLevel says why the server would refuse a config with metadata
// md (a required API level above its own), or "".
func unsupportedLevel(md map[string]string) string {
	if l, ok := md[server.JSRequiredLevelMetadataKey]; ok && l != "" {
		if n, err := strconv.Atoi(l); err != nil || n > server.JSApiLevel {
			return "required API level " + strconv.Quote(l) + " not supported"
		}
	}
	return ""
}

// damaged is a stream's or consumer's directory whose config the server
// would not load, and why.
type damaged struct{ dir, why string }

// damagedConfigs returns the directories matching pattern (a glob) that
// hold a config file (meta.inf) and that bad finds something wrong with
// (a reason; "" when the server would load it). Encrypted configs are left:
// only the server can read them.
func damagedConfigs(pattern string, bad func(dir string) string) ([]damaged, error) {
	metas, err := filepath.Glob(filepath.Join(pattern, server.JetStreamMetaFile))
	if err != nil {
		return nil, fmt.Errorf("quarantine: %w", err)
	}
	var out []damaged
	for _, meta := range metas {
		dir := filepath.Dir(meta)
		if _, err := os.Stat(filepath.Join(dir, server.JetStreamMetaFileKey)); err == nil {
			continue
		}
		if why := bad(dir); why != "" {
			out = append(out, damaged{dir, why})
		}
	}
	return out, nil
}

// quarantinePath is where a damaged config named name of account's stream
// goes: dir/quarantine/<account>/<stream>/<name>-<unix ns>, a new place
// each time.
func quarantinePath(dir, account, stream, name string) string {
	return filepath.Join(dir, quarantineDir, account, stream, name+"-"+strconv.FormatInt(time.Now().UnixNano(), 10))
}
