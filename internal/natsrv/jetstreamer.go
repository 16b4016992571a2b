package natsrv

import "github.com/nats-io/nats.go/jetstream"

// JetStreamer is what a part that keeps state in JetStream is handed at
// New: it calls JetStream at its own Start, after the Server started.
// *Server implements it; Fixed adapts a JetStream made elsewhere (tests).
type JetStreamer interface {
	JetStream() jetstream.JetStream
	// Replicas is how many copies of each stream and KV bucket to create
	// (valid from JetStream's start); see EnsureStream.
	Replicas() int
}

var _ JetStreamer = (*Server)(nil)

// Fixed returns a JetStreamer for an existing JetStream context, creating
// everything with one replica.
func Fixed(js jetstream.JetStream) JetStreamer { return fixed{js} }

type fixed struct{ js jetstream.JetStream }

func (f fixed) JetStream() jetstream.JetStream { return f.js }
func (f fixed) Replicas() int                  { return 1 }
