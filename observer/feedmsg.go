package observer

import "github.com/evote/evote/election"

// FeedFormat is the feed's format tag and version (docs/spec/feed.md).
const FeedFormat = "evote/v1/feed"

// Feed message types.
const (
	FeedHello = "hello" // the first message: what the feed serves
	FeedBlock = "block" // one committed block
)

// FeedMessage is one websocket text message of the feed
// (GET /api/v1/feed, docs/spec/feed.md): a JSON object whose type says
// which members are set.
type FeedMessage struct {
	Type string `json:"type"`

	// hello: the format, the height the feed starts from, and for a feed of
	// one election the record's head (chain id, genesis, election,
	// manifest): what a verifier needs before the first block.
	Format string      `json:"format,omitempty"`
	From   int64       `json:"from,omitempty"`
	Light  bool        `json:"light,omitempty"`
	Head   *RecordHead `json:"head,omitempty"`

	// block: a committed block in the record's form (for a feed of one
	// election its transactions are the election's; Replaced is never set,
	// since later blocks are not known yet), and the phases elections
	// entered in it.
	Block  *RecordBlock `json:"block,omitempty"`
	Phases []FeedPhase  `json:"phases,omitempty"`
}

// FeedPhase says that an election entered a phase in the block.
type FeedPhase struct {
	Election election.ID    `json:"election"`
	Phase    election.Phase `json:"phase"`
}
