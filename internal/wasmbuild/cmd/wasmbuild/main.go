// Command wasmbuild builds the browser's verifier, wallet and console into a directory
// (`make wasm`: web/static/wasm) and prints its sizes.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/evote/evote/internal/wasmbuild"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: wasmbuild OUTDIR")
		os.Exit(2)
	}
	sizes, err := wasmbuild.Build(context.Background(), "", os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, m := range wasmbuild.Modules {
		sz := sizes[m.File]
		fmt.Printf("%s/%s: %d bytes, %d gzip-compressed\n", os.Args[1], m.File, sz.Raw, sz.Gzip)
	}
}
