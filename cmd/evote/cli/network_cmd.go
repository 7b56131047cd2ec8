package cli

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/spf13/cobra"

	"github.com/evote/evote/chain"
	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/cometconf"
	"github.com/evote/evote/internal/localnet"
)

// Forming a network across organizations (docs/deployment.md): each makes
// its node with `evote node init` and publishes the card it prints; one of
// them (or each, to compare) assembles the genesis with `evote network
// genesis`; each joins with `evote node join` and runs `evote node`.

func newNodeInitCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "init",
		Short: "make this organization's node: its validator and node keys, its settings, and its signed node card",
		Long: `init makes a node home (--home) on this machine: the validator key and the node key (CometBFT's
files, mode 0600; they never leave the home), config/config.toml with the listen addresses, and
evote.yaml with the HTTP listen address. It prints the node card (also written to
HOME/config/node-card.json): the moniker, the validator's public key, the node id, the external
p2p address and the HTTP URL, signed by the validator key. Give the card to the other members;
they assemble the genesis from the cards (evote network genesis), and the node joins with
evote node join.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			home := e.v.GetString("home")
			card, err := chain.InitNode(home, chain.NodeInit{Moniker: e.v.GetString("moniker"),
				P2PListen: e.v.GetString("p2p-listen"), RPCListen: e.v.GetString("rpc-listen"),
				P2PExternal: e.v.GetString("p2p-external"), HTTPExternal: e.v.GetString("http-external")})
			if err != nil {
				return err
			}
			if err := localnet.WriteNodeSettings(home, e.v.GetString("http"), nil); err != nil {
				return err
			}
			b, _ := json.MarshalIndent(card, "", "  ")
			fmt.Fprintf(e.stdout, "%s\n", b)
			fmt.Fprintf(e.stderr, "node %s made in %s; its card is above and in %s: give it to the network's other members\n",
				card.Moniker, home, filepath.Join(home, chain.CardFile))
			return nil
		},
	}
	cmd.Flags().String("moniker", "", "the node's name in the network (1 to 64 letters, digits, dots, dashes or underscores)")
	cmd.Flags().String("p2p-listen", chain.DefaultP2PAddr, "where the node listens for its peers (tcp://HOST:PORT; tcp://0.0.0.0:26656 for every interface)")
	cmd.Flags().String("rpc-listen", chain.DefaultRPCAddr, "CometBFT's RPC listen address (keep it on loopback)")
	cmd.Flags().String("p2p-external", "", "the HOST:PORT the other nodes dial (default: the p2p listen address)")
	cmd.Flags().String("http-external", "", "the node's API and pages as voters and observers reach them (scheme://host[:port])")
	cmd.Flags().String("http", "127.0.0.1:8080", "where the node serves its API and pages (written to HOME/evote.yaml)")
	return cmd
}

func newNodeJoinCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "join",
		Short: "join this node to a network: check the genesis holds its key, and peer with the others' cards",
		Long: `join takes the genesis the members assembled and the cards of the nodes to connect to. For a
validator it checks that the genesis holds this node's own validator key (a genesis assembled
without this node's card is refused); with --replica the node joins as a full copy that is not a
validator. It checks every card's signature, copies the genesis into the home, sets the persistent
peers from the cards and the peer nodes (the other nodes' HTTP URLs, which the wallet offers), and
prints the genesis's SHA-256 to compare with the other members'. Then run evote node.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			home := e.v.GetString("home")
			cards, err := readCards(e.v.GetStringSlice("card"))
			if err != nil {
				return err
			}
			conf, err := cometconf.Load(home)
			if err != nil {
				return fmt.Errorf("%w (make the node first: evote node init --home %s)", err, home)
			}
			var ss *chain.StateSync
			if e.v.GetBool("state-sync") {
				if !e.v.GetBool("replica") {
					return errors.New("--state-sync is for a replica (--replica): a validator in the genesis syncs its blocks")
				}
				if ss, err = stateSyncFlags(e); err != nil {
					return err
				}
			}
			j, err := chain.JoinNetwork(conf, e.v.GetString("genesis"), cards, e.v.GetBool("replica"))
			if err != nil {
				return err
			}
			own, err := chain.ReadCard(filepath.Join(home, chain.CardFile))
			if err != nil {
				return err
			}
			var urls []string
			for _, c := range cards {
				if c.HTTPURL != "" && c.HTTPURL != own.HTTPURL {
					urls = append(urls, c.HTTPURL)
				}
			}
			if err := localnet.WriteNodeSettings(home, "", urls); err != nil {
				return err
			}
			role := "a validator"
			if !j.Validator {
				role = "a replica (not a validator)"
			}
			fmt.Fprintf(e.stdout, "%s joined as %s; genesis SHA-256 %s\n", home, role, j.GenesisHash)
			fmt.Fprintf(e.stdout, "  peers: %s\n", strings.Join(j.Peers, ", "))
			if ss != nil {
				if err := joinByStateSync(e, conf, ss); err != nil {
					return err
				}
			}
			fmt.Fprintf(e.stdout, "  compare the genesis SHA-256 with the other members', then run: evote node --home %s\n", home)
			return nil
		},
	}
	cmd.Flags().String("genesis", "", "the genesis file the members assembled")
	cmd.Flags().StringSlice("card", nil, "a node card of the network (repeat it, or separate with commas); this node's own is skipped")
	cmd.Flags().Bool("replica", false, "join as a full copy that is not a validator")
	cmd.Flags().Bool("state-sync", false, "a replica starts from a recent snapshot the members offer (state sync), then block syncs to the tip")
	cmd.Flags().StringSlice("state-sync-rpc", nil, "with --state-sync: the CometBFT RPC (http://host:port) of two members at least, for the light client")
	cmd.Flags().Int64("trust-height", 0, "with --state-sync: the height of a header you trust (0: the latest one both RPC servers agree on)")
	cmd.Flags().String("trust-hash", "", "with --state-sync: that header's hash, hex (with --trust-height)")
	cmd.Flags().Duration("trust-period", 0, "with --state-sync: how long a validator set is trusted (0: CometBFT's default, 168h)")
	return cmd
}

// stateSyncFlags reads and checks the state sync flags, before join
// writes anything.
func stateSyncFlags(e *env) (*chain.StateSync, error) {
	servers := e.v.GetStringSlice("state-sync-rpc")
	if len(servers) < 2 {
		return nil, errors.New("--state-sync needs --state-sync-rpc with the CometBFT RPC of two members at least (http://host:port each)")
	}
	s := &chain.StateSync{RPCServers: servers, TrustHeight: e.v.GetInt64("trust-height"), TrustPeriod: e.v.GetDuration("trust-period")}
	if s.TrustPeriod < 0 {
		return nil, errors.New("--trust-period must not be negative")
	}
	if th := e.v.GetString("trust-hash"); th != "" || s.TrustHeight != 0 {
		h, err := hex.DecodeString(th)
		if err != nil || len(h) != 32 || s.TrustHeight < 1 {
			return nil, errors.New("--trust-height and --trust-hash go together: a height >= 1 and its header's 64 hex digits")
		}
		s.TrustHash = h
	}
	return s, nil
}

// joinByStateSync writes the replica's [statesync] section: the RPC servers
// given, and the trusted header given or read from them (the light client
// verifies everything after it against the validators' signatures).
func joinByStateSync(e *env, conf *cmtcfg.Config, s *chain.StateSync) error {
	servers := s.RPCServers
	if s.TrustHeight == 0 {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		h, hash, err := chain.TrustedHeader(ctx, servers)
		if err != nil {
			return err
		}
		s.TrustHeight, s.TrustHash = h, hash
		fmt.Fprintf(e.stdout, "  trusting header %d %X, which %s agree on; compare it with a member's out of band\n", h, hash, strings.Join(servers, " and "))
	}
	if err := chain.EnableStateSync(conf, *s); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "  state sync on: the node restores a recent snapshot, verified from header %d, then syncs the blocks after it\n", s.TrustHeight)
	return nil
}

func readCards(paths []string) ([]*chain.Card, error) {
	if len(paths) == 0 {
		return nil, errors.New("--card is required: the node cards of the network's members")
	}
	var cards []*chain.Card
	for _, p := range paths {
		c, err := chain.ReadCard(p)
		if err != nil {
			return nil, err
		}
		cards = append(cards, c)
	}
	return cards, nil
}

func newNetworkCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "network", Short: "form a network of polling nodes run by separate organizations"}
	gen := &cobra.Command{
		Use:   "genesis",
		Short: "assemble the genesis from the members' node cards",
		Long: `genesis checks every member's node card (its signature by the validator key it names) and
writes the genesis: the chain id, the election authority's public key, and one validator per card
in the order given, each of power 10 unless --power says otherwise. It prints the genesis file's
SHA-256: every member compares it out of band before joining.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			chainID := e.v.GetString("chain-id")
			out := e.v.GetString("out")
			if out == "" {
				return errors.New("--out is required: where to write genesis.json")
			}
			var auths []election.AuthorityPublicKey
			for _, a := range e.v.GetStringSlice("authority") {
				k, err := election.ParseAuthorityPublicKey(a)
				if err != nil {
					return fmt.Errorf("--authority: %w", err)
				}
				auths = append(auths, k)
			}
			if len(auths) == 0 {
				return errors.New("--authority is required: the election authority's public key (evote-authority:…)")
			}
			powers := map[string]int64{}
			for _, p := range e.v.GetStringSlice("power") {
				name, n, ok := strings.Cut(p, "=")
				v, err := strconv.ParseInt(n, 10, 64)
				if !ok || err != nil {
					return fmt.Errorf("--power %q: want MONIKER=N", p)
				}
				powers[name] = v
			}
			cards, err := readCards(e.v.GetStringSlice("card"))
			if err != nil {
				return err
			}
			appState, err := json.Marshal(election.Genesis{ChainID: chainID, Authorities: auths})
			if err != nil {
				return err
			}
			var at time.Time
			if s := e.v.GetString("genesis-time"); s != "" {
				if at, err = time.Parse(time.RFC3339, s); err != nil {
					return fmt.Errorf("--genesis-time: %w", err)
				}
			}
			doc, err := chain.AssembleGenesis(chainID, appState, cards, powers, at)
			if err != nil {
				return err
			}
			if _, err := os.Stat(out); err == nil {
				return fmt.Errorf("%s exists: refusing to replace a genesis", out)
			}
			sum, err := chain.WriteGenesis(doc, out)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "wrote %s: chain %s, %d validators\n", out, chainID, len(doc.Validators))
			for _, v := range doc.Validators {
				fmt.Fprintf(e.stdout, "  %-20s power %d  %X\n", v.Name, v.Power, v.PubKey.Bytes())
			}
			fmt.Fprintf(e.stdout, "genesis SHA-256 %s (every member compares it before joining)\n", sum)
			return nil
		},
	}
	gen.Flags().String("chain-id", "", "the chain id (names the network in every signature)")
	gen.Flags().StringSlice("authority", nil, "the election authority's public key (evote-authority:…); repeat for several")
	gen.Flags().StringSlice("card", nil, "a member's node card (repeat it); the validators in this order")
	gen.Flags().StringSlice("power", nil, "MONIKER=N: that validator's voting power (default 10)")
	gen.Flags().String("genesis-time", "", "the genesis time (RFC 3339; default now)")
	gen.Flags().String("out", "", "where to write genesis.json")
	cmd.AddCommand(gen, newNetworkValidatorCmd(e))
	return cmd
}
