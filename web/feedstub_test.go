package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/gorilla/websocket"

	"github.com/evote/evote/chain"
	"github.com/evote/evote/election"
	"github.com/evote/evote/observer"
	"github.com/evote/evote/observer/feed"
)

// testFeed serves GET /api/v1/feed?election=ID&from=H for the dashboard's
// browser tests, in the feed's message format (observer.FeedMessage:
// hello, then each committed block from H in order), by polling the node.
// It stands in for the server's own feed route until that one is served
// here; then the tests use the route and this file goes.
func testFeed(node func() *chain.Node) http.HandlerFunc {
	up := websocket.Upgrader{}
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := election.ParseID(r.URL.Query().Get("election"))
		if err != nil {
			http.Error(w, "election: "+err.Error(), http.StatusBadRequest)
			return
		}
		from, err := queryInt(r, "from", 1)
		if err != nil || from < 1 {
			http.Error(w, "from must be a height", http.StatusBadRequest)
			return
		}
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		go func() { // notice the client going away
			for {
				if _, _, err := c.ReadMessage(); err != nil {
					cancel()
					return
				}
			}
		}()
		n := node()
		blocks := feed.NewBlocks(n)
		send := func(m observer.FeedMessage) error {
			b, err := json.Marshal(m)
			if err != nil {
				return err
			}
			return c.WriteMessage(websocket.TextMessage, b)
		}
		var head *observer.RecordHead
		err = n.App().Store().View(ctx, func(_ chain.Meta, st election.ReadStore) error {
			head, err = feed.Head(n, st, id)
			return err
		})
		if err != nil || send(observer.FeedMessage{Type: observer.FeedHello, Format: observer.FeedFormat, From: int64(from), Head: head}) != nil {
			return
		}
		for h := int64(from); ctx.Err() == nil; {
			var msgs []observer.FeedMessage
			err := n.App().Store().View(ctx, func(meta chain.Meta, st election.ReadStore) error {
				d, err := election.QueryElection(st, id)
				if err != nil {
					return err
				}
				for ; h <= meta.Height; h++ {
					b, err := blocks.Block(st, id, h, false, false)
					if errors.Is(err, feed.ErrNotCommitted) {
						break
					}
					if err != nil {
						return err
					}
					m := observer.FeedMessage{Type: observer.FeedBlock, Block: b}
					for _, p := range d.Phases {
						if p.Height == h {
							m.Phases = append(m.Phases, observer.FeedPhase{Election: id, Phase: p.Phase})
						}
					}
					msgs = append(msgs, m)
				}
				return nil
			})
			if err != nil {
				return
			}
			for _, m := range msgs {
				if send(m) != nil {
					return
				}
			}
			select {
			case <-ctx.Done():
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
}
