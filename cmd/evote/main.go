// Command evote is the one binary of evote: polling node, wallet, official,
// trustee and observer tools. It only wires packages together; the rules
// live in election, tally, wallet and chain.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/evote/evote/cmd/evote/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
