package embedded

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/pcapflow/pcapflow/bus"
)

// Roles are the NATS users of a deployment: one per stage, plus "client"
// for the host's commands (ingest, fetch, subscribe, replay). Each is
// allowed only the subjects its stage uses; see RolePermissions.
var Roles = []string{"ingest", "decoder", "reassembler", "tracer", "reporter", "client"}

// MinPasswordLen is the shortest role password the server accepts.
const MinPasswordLen = 12

// RolePasswordEnv is the environment variable holding a role's password
// on the server side, e.g. PCAPFLOW_DECODER_PASSWORD.
func RolePasswordEnv(role string) string {
	return "PCAPFLOW_" + strings.ToUpper(role) + "_PASSWORD"
}

// RoleUsersFromEnv returns a user for every role whose password variable is
// set (getenv is os.Getenv in production). Roles without a password have no
// user: nobody can connect as them. A password shorter than MinPasswordLen
// is an error.
func RoleUsersFromEnv(getenv func(string) string) ([]*server.User, error) {
	var users []*server.User
	for _, role := range Roles {
		pw := getenv(RolePasswordEnv(role))
		if pw == "" {
			continue
		}
		if len(pw) < MinPasswordLen {
			return nil, fmt.Errorf("%s: a password of at least %d characters is required (generate one with: openssl rand -hex 24)",
				RolePasswordEnv(role), MinPasswordLen)
		}
		perms, err := RolePermissions(role)
		if err != nil {
			return nil, err
		}
		users = append(users, &server.User{Username: role, Password: pw, Permissions: perms})
	}
	return users, nil
}

// Stream names of the key-value buckets and the object store.
var (
	kvLeases   = "KV_" + bus.LeaseBucket
	kvCaptures = "KV_" + bus.CaptureBucket
	objReports = "OBJ_" + bus.ReportBucket
)

// allStreams are every stream a deployment declares.
func allStreams() []string {
	return append(append([]string(nil), bus.Streams...), kvLeases, kvCaptures, objReports)
}

// streamWrites returns the subjects a writer of stream publishes to.
func streamWrites(stream string) []string {
	switch stream {
	case kvLeases:
		return []string{"$KV." + bus.LeaseBucket + ".>"}
	case kvCaptures:
		return []string{"$KV." + bus.CaptureBucket + ".>"}
	case objReports:
		// Replacing an object (a report put again after a takeover) purges
		// the old object's chunks: the only purge any role may do.
		return []string{"$O." + bus.ReportBucket + ".>", "$JS.API.STREAM.PURGE." + objReports}
	}
	return bus.StreamSubjects(stream)
}

// streamReads returns the JetStream API subjects a reader of stream needs:
// consumers (durable, ephemeral, ordered), pulls, acknowledgements, flow
// control replies and message gets.
func streamReads(stream string) []string {
	return []string{
		"$JS.API.CONSUMER.CREATE." + stream,
		"$JS.API.CONSUMER.CREATE." + stream + ".>",
		"$JS.API.CONSUMER.DURABLE.CREATE." + stream + ".>",
		"$JS.API.CONSUMER.INFO." + stream + ".>",
		"$JS.API.CONSUMER.DELETE." + stream + ".>",
		"$JS.API.CONSUMER.MSG.NEXT." + stream + ".>",
		"$JS.API.CONSUMER.NAMES." + stream,
		"$JS.API.CONSUMER.LIST." + stream,
		"$JS.API.DIRECT.GET." + stream,
		"$JS.API.DIRECT.GET." + stream + ".>",
		"$JS.API.STREAM.MSG.GET." + stream,
		"$JS.ACK." + stream + ".>",
		"$JS.FC." + stream + ".>",
	}
}

// access is what a role may do on the streams.
type access struct {
	read, write []string
	// subscribe are core subjects the role may subscribe to besides its
	// inboxes (live events).
	subscribe []string
}

var roleAccess = map[string]access{
	"ingest": {read: []string{bus.StreamFrames, kvCaptures, bus.StreamReports, objReports},
		write: []string{bus.StreamFrames, kvCaptures}},
	"decoder": {read: []string{bus.StreamFrames, kvCaptures, kvLeases},
		write: []string{bus.StreamDecoded}},
	"reassembler": {read: []string{bus.StreamFrames, bus.StreamDecoded, kvCaptures, kvLeases},
		write: []string{bus.StreamReassembled, kvLeases, kvCaptures}},
	"tracer": {read: []string{bus.StreamFrames, bus.StreamDecoded, bus.StreamReassembled, kvCaptures, kvLeases},
		write: []string{bus.StreamFlows, kvLeases, kvCaptures}},
	"reporter": {read: []string{bus.StreamFrames, bus.StreamDecoded, bus.StreamReassembled, bus.StreamFlows,
		bus.StreamReports, kvCaptures, kvLeases, objReports},
		write: []string{bus.StreamReports, objReports, kvLeases, kvCaptures}},
	"client": {read: allStreams(), write: []string{bus.StreamFrames, kvCaptures},
		subscribe: []string{bus.Root + ".>"}},
}

// RolePermissions returns the publish and subscribe permissions of a role:
// the JetStream API calls of stream setup (info, create and update of
// pcapflow's own streams only, never delete; the one purge allowed is the
// report writer's, of a replaced object's chunks), the reads and
// writes of its stage, replies on its inboxes, and nothing else.
func RolePermissions(role string) (*server.Permissions, error) {
	a, ok := roleAccess[role]
	if !ok {
		return nil, fmt.Errorf("unknown role %q (roles: %s)", role, strings.Join(Roles, ", "))
	}
	pub := []string{"$JS.API.INFO"}
	for _, s := range allStreams() {
		pub = append(pub, "$JS.API.STREAM.INFO."+s, "$JS.API.STREAM.CREATE."+s, "$JS.API.STREAM.UPDATE."+s)
	}
	for _, s := range a.read {
		pub = append(pub, streamReads(s)...)
	}
	for _, s := range a.write {
		pub = append(pub, streamWrites(s)...)
	}
	return &server.Permissions{
		Publish:   &server.SubjectPermission{Allow: dedup(pub)},
		Subscribe: &server.SubjectPermission{Allow: append([]string{nats.InboxPrefix + ">"}, a.subscribe...)},
	}, nil
}

func dedup(s []string) []string {
	seen := make(map[string]bool, len(s))
	out := s[:0]
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// internalUser is the user of the server's own in-process connections
// when role users are configured: a random password that never leaves the
// process, every permission, and in-process connections only.
const internalUser = "pcapflow-internal"

// applyUsers adds the role users and the internal user to opts and returns
// the internal password ("" when cfg has no role users).
func applyUsers(cfg *Config, opts *server.Options) (string, error) {
	if len(cfg.Users) == 0 {
		return "", nil
	}
	if cfg.User != "" || cfg.Password != "" || cfg.Token != "" {
		return "", errors.New("embedded nats: role users exclude a single user or token")
	}
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	pw := hex.EncodeToString(b[:])
	opts.Users = append(append([]*server.User(nil), cfg.Users...), &server.User{Username: internalUser, Password: pw,
		AllowedConnectionTypes: map[string]struct{}{"IN_PROCESS": {}}})
	return pw, nil
}
