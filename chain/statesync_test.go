package chain

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evote/evote/internal/cometconf"
)

// TestEnableStateSync: the [statesync] section is written as CometBFT
// reads it back; what the light client cannot work with is refused with
// ErrJoin and leaves the configuration as it was.
func TestEnableStateSync(t *testing.T) {
	home := filepath.Join(t.TempDir(), "replica")
	if _, err := InitNode(home, NodeInit{Moniker: "copy"}); err != nil {
		t.Fatal(err)
	}
	conf, err := cometconf.Load(home)
	if err != nil {
		t.Fatal(err)
	}
	hash := bytes.Repeat([]byte{0xab}, 32)
	servers := []string{"http://10.0.0.1:26657", "http://10.0.0.2:26657"}
	for _, bad := range []StateSync{
		{RPCServers: servers[:1], TrustHeight: 5, TrustHash: hash},
		{RPCServers: []string{"10.0.0.1:26657", servers[1]}, TrustHeight: 5, TrustHash: hash},
		{RPCServers: servers, TrustHeight: 0, TrustHash: hash},
		{RPCServers: servers, TrustHeight: 5, TrustHash: hash[:31]},
	} {
		if err := EnableStateSync(conf, bad); !errors.Is(err, ErrJoin) {
			t.Errorf("%+v: %v, want ErrJoin", bad, err)
		}
	}
	if again, err := cometconf.Load(home); err != nil || again.StateSync.Enable {
		t.Fatalf("a refused state sync changed the configuration: %v %v", again.StateSync.Enable, err)
	}
	if err := EnableStateSync(conf, StateSync{RPCServers: servers, TrustHeight: 5, TrustHash: hash, TrustPeriod: 48 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	got, err := cometconf.Load(home)
	if err != nil {
		t.Fatal(err)
	}
	s := got.StateSync
	if !s.Enable || strings.Join(s.RPCServers, ",") != strings.Join(servers, ",") || s.TrustHeight != 5 ||
		!bytes.Equal(s.TrustHashBytes(), hash) || s.TrustPeriod != 48*time.Hour {
		t.Fatalf("read back: %+v", s)
	}
}
