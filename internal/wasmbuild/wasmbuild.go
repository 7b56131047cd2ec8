// Package wasmbuild builds the browser's three WebAssembly modules: the
// verifier (package observer behind its syscall/js bridge,
// web/wasm/verifier), the wallet (package wallet and the receipt check
// of internal/receiptlite behind theirs, web/wasm/wallet) and the
// officials' console (internal/consolebridge, web/wasm/console), with the Go
// toolchain's wasm_exec.js beside them. `make wasm` runs it into
// web/static/wasm, which package web embeds and serves; web's tests run it
// again into a temporary directory and require the bytes served to be the
// bytes the source builds.
//
// The build is reproducible: -trimpath and -buildvcs=false keep the
// worktree's path and the commit out of the binary, so the same source and
// toolchain give the same bytes.
package wasmbuild

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Package is the import path of the verifier's bridge.
const Package = "github.com/evote/evote/web/wasm/verifier"

// WalletPackage is the import path of the wallet's bridge.
const WalletPackage = "github.com/evote/evote/web/wasm/wallet"

// ConsolePackage is the import path of the officials' console's bridge.
const ConsolePackage = "github.com/evote/evote/web/wasm/console"

// Files written into the output directory.
const (
	WasmGz        = "verifier.wasm.gz" // the verifier module, gzip-compressed
	WalletWasmGz  = "wallet.wasm.gz"   // the wallet module, gzip-compressed
	ConsoleWasmGz = "console.wasm.gz"  // the console module, gzip-compressed
	WasmExec      = "wasm_exec.js"     // the toolchain's loader, as it ships
)

// Modules are the modules Build writes: each bridge's package and its
// file.
var Modules = []struct{ Package, File string }{
	{Package, WasmGz},
	{WalletPackage, WalletWasmGz},
	{ConsolePackage, ConsoleWasmGz},
}

// Flags are the go build flags of the module: -trimpath and -buildvcs=false
// make the build reproducible; -s -w leave out the symbol table and DWARF.
var Flags = []string{"-trimpath", "-buildvcs=false", "-ldflags=-s -w"}

// Env is the environment of the build, added to the caller's.
var Env = []string{"GOOS=js", "GOARCH=wasm", "CGO_ENABLED=0"}

// Sizes are the module's size raw and compressed.
type Sizes struct{ Raw, Gzip int }

// Module compiles the verifier module and returns its bytes. dir is the
// module's root (the directory of go.mod), or "" for the current one.
func Module(ctx context.Context, dir string) ([]byte, error) { return ModuleOf(ctx, dir, Package) }

// ModuleOf compiles the bridge pkg (Package, WalletPackage or
// ConsolePackage) and returns
// its bytes.
func ModuleOf(ctx context.Context, dir, pkg string) ([]byte, error) {
	tmp, err := os.MkdirTemp("", "evote-wasm-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	out := filepath.Join(tmp, "module.wasm")
	args := append([]string{"build", "-o", out}, Flags...)
	cmd := exec.CommandContext(ctx, "go", append(args, pkg)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), Env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("wasmbuild: go build %s: %w\n%s", pkg, err, stderr.Bytes())
	}
	return os.ReadFile(out)
}

// WasmExecJS returns the toolchain's wasm_exec.js, which must come from
// the toolchain that compiled the module.
func WasmExecJS(ctx context.Context) ([]byte, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOROOT").Output()
	if err != nil {
		return nil, fmt.Errorf("wasmbuild: go env GOROOT: %w", err)
	}
	root := strings.TrimSpace(string(out))
	js, err := os.ReadFile(filepath.Join(root, "lib", "wasm", "wasm_exec.js"))
	if errors.Is(err, os.ErrNotExist) {
		js, err = os.ReadFile(filepath.Join(root, "misc", "wasm", "wasm_exec.js")) // before Go 1.24
	}
	return js, err
}

// Gzip compresses b at the best compression, with no name or time in the
// header, so that the same input gives the same output.
func Gzip(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Build compiles the modules and writes each one's file (WasmGz,
// WalletWasmGz, ConsoleWasmGz) and WasmExec into outDir, creating it, and returns their
// sizes by file. dir is the module's root, or "" for the current directory.
func Build(ctx context.Context, dir, outDir string) (map[string]Sizes, error) {
	js, err := WasmExecJS(ctx)
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{WasmExec: js}
	sizes := map[string]Sizes{}
	for _, m := range Modules {
		mod, err := ModuleOf(ctx, dir, m.Package)
		if err != nil {
			return nil, err
		}
		gz, err := Gzip(mod)
		if err != nil {
			return nil, err
		}
		files[m.File] = gz
		sizes[m.File] = Sizes{Raw: len(mod), Gzip: len(gz)}
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, err
	}
	for name, b := range files {
		if err := writeIfChanged(filepath.Join(outDir, name), b); err != nil {
			return nil, err
		}
	}
	return sizes, nil
}

// writeIfChanged leaves a file with the same bytes alone, so that go's
// build cache (which hashes embedded files by content anyway) and make see
// no change.
func writeIfChanged(path string, b []byte) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, b) {
		return nil
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
