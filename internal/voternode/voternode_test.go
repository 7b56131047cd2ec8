package voternode_test

import (
	"crypto/rand"
	"errors"
	"os"
	"testing"

	"github.com/evote/evote/api"
	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/voternode"
	"github.com/evote/evote/tally"
)

// TestElectionOf: a node's detail gives the wallet's election only if its
// manifest hashes to the id asked for and the joint key is fixed.
func TestElectionOf(t *testing.T) {
	y, err := os.ReadFile("../../election/testdata/city-referendum.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m, err := election.ParseManifestYAML(y)
	if err != nil {
		t.Fatal(err)
	}
	id, err := m.ID()
	if err != nil {
		t.Fatal(err)
	}
	sk, err := tally.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	d := &api.ElectionDetail{Manifest: m, JointKey: sk.Public()}
	el, raw, err := voternode.ElectionOf("c", id, d)
	if err != nil || el.ID != id || len(raw) == 0 {
		t.Fatalf("%v %v", el, err)
	}
	if _, _, err := voternode.ElectionOf("c", election.ID{1}, d); !errors.Is(err, election.ErrInvalidManifest) {
		t.Errorf("another id: %v", err)
	}
	if _, _, err := voternode.ElectionOf("c", id, &api.ElectionDetail{Manifest: m}); !errors.Is(err, election.ErrInvalidKey) {
		t.Errorf("no joint key: %v", err)
	}
	if _, _, err := voternode.ElectionOf("c", id, &api.ElectionDetail{JointKey: sk.Public()}); !errors.Is(err, election.ErrInvalidManifest) {
		t.Errorf("no manifest: %v", err)
	}
}
