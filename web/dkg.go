package web

import (
	"net/http"

	"github.com/evote/evote/election"
)

// dkg answers GET /api/v1/elections/{id}/dkg: the canonical manifest and
// every key-ceremony message the chain admitted (election.QueryDKG).
func (s *Server) dkg(w http.ResponseWriter, r *http.Request) {
	if id, ok := electionID(w, r); ok {
		m, err := election.QueryDKG(s.reader(), id)
		reply(s, w, r, m, err, infallible(apiDKG))
	}
}
