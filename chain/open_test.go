package chain

import (
	"testing"

	"github.com/evote/evote/internal/cometconf"
)

// openNode builds the node of home as cmd does: the configuration read by
// cometconf, then NewNode.
func openNode(home string, opts Options) (*Node, error) {
	conf, err := cometconf.Load(home)
	if err != nil {
		return nil, err
	}
	return NewNode(conf, opts)
}

// NewNode refuses a missing configuration, or one not rooted at a home.
func TestNewNodeNeedsConfig(t *testing.T) {
	if _, err := NewNode(nil, Options{NewMachine: newTestMachine}); err == nil {
		t.Error("NewNode without a configuration succeeded")
	}
	conf, err := cometconf.Load(initHome(t))
	if err != nil {
		t.Fatal(err)
	}
	conf.RootDir = ""
	if _, err := NewNode(conf, Options{NewMachine: newTestMachine}); err == nil {
		t.Error("NewNode with a configuration of no home succeeded")
	}
}
