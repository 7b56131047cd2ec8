package web

import (
	"net/http"
	"time"

	"github.com/evote/evote/election"
	"github.com/evote/evote/observer/feed"
)

// record streams the election record (docs/spec/record.md) as the node has
// it, block by block: the answer can be far larger than memory, and its
// writing is not bounded by the server's write timeout. A failure after the
// answer has begun cuts it short: a truncated record does not parse.
func (s *Server) record(w http.ResponseWriter, r *http.Request) {
	id, ok := electionID(w, r)
	if !ok {
		return
	}
	if _, err := election.LoadManifest(s.reader(), id); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.node.ElectionBlocksHeld(id); err != nil {
		s.fail(w, r, err)
		return
	}
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // no deadline; the client's disconnect ends it
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	if err := feed.Export(r.Context(), s.node, id, w, nil); err != nil {
		// The record stops short of its end: it does not parse, so no
		// client can take it for a whole record.
		s.log.Error("record export failed", "election", id.String(), "err", err)
	}
}
