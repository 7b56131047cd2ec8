// Command mutate puts one deliberate fault at a time into a package (see
// package mutate for which) and runs the package's tests over it with go
// test -overlay, the tree untouched: a mutant the tests fail on is killed,
// one they pass survives. It prints each mutant's fate, the survivors and
// the score (killed / (killed + survived); mutants that do not compile are
// left out). `make mutation` runs it; docs/testing.md keeps the figures.
//
//	go run ./internal/mutate/cmd/mutate [-n 40] [-seed S] [-workers 1] [-timeout 10m] [-json FILE] [-at FILE.go:LINE,...] [PKGDIR ...]
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/evote/evote/internal/mutate"
)

// Fates of a mutant.
const (
	killed   = "killed"
	survived = "survived"
	invalid  = "invalid" // does not compile
	timedOut = "timeout" // the tests did not end: noticed, counted killed
)

type result struct {
	Package string        `json:"package"`
	Site    mutate.Site   `json:"site"`
	Fate    string        `json:"fate"`
	Took    time.Duration `json:"took_ns"`
}

type summary struct {
	Package  string   `json:"package"`
	Sites    int      `json:"sites"`
	Tried    int      `json:"tried"`
	Killed   int      `json:"killed"`
	Survived int      `json:"survived"`
	Invalid  int      `json:"invalid"`
	Score    float64  `json:"score"`
	Results  []result `json:"results"`
}

func main() {
	n := flag.Int("n", 40, "mutants per package, drawn at random (0: every site)")
	seed := flag.String("seed", "evote", "seed of the draw: the same seed draws the same mutants")
	workers := flag.Int("workers", 1, "mutants tested at once")
	timeout := flag.Duration("timeout", 10*time.Minute, "longest test run of one mutant (past it: timeout, counted killed)")
	jsonOut := flag.String("json", "", "also write the results as JSON to this file")
	at := flag.String("at", "", "only the sites on these lines, as FILE.go:LINE[,FILE.go:LINE...] (every one of them, no draw)")
	flag.Parse()
	atLines = map[string]bool{}
	for _, a := range strings.Split(*at, ",") {
		if a = strings.TrimSpace(a); a != "" {
			atLines[a] = true
		}
	}
	dirs := flag.Args()
	if len(dirs) == 0 {
		dirs = []string{"./tally", "./election", "./chain", "./observer", "./observer/cmtlite"}
	}
	var all []summary
	for _, dir := range dirs {
		s, err := runPackage(dir, *n, *seed, *workers, *timeout)
		if err != nil {
			fmt.Fprintln(os.Stderr, "mutate:", err)
			os.Exit(1)
		}
		all = append(all, s)
	}
	fmt.Println()
	var k, sv int
	for _, s := range all {
		fmt.Printf("%-12s %4d sites, %3d tried: %3d killed, %3d survived, %3d not compiling; score %.1f%%\n",
			s.Package, s.Sites, s.Tried, s.Killed, s.Survived, s.Invalid, 100*s.Score)
		k += s.Killed
		sv += s.Survived
	}
	if k+sv > 0 {
		fmt.Printf("%-12s %.1f%% (%d of %d)\n", "all", 100*float64(k)/float64(k+sv), k, k+sv)
	}
	for _, s := range all {
		for _, r := range s.Results {
			if r.Fate == survived {
				fmt.Printf("survived %s/%s\n", s.Package, r.Site)
			}
		}
	}
	if *jsonOut != "" {
		b, _ := json.MarshalIndent(all, "", "  ")
		if err := os.WriteFile(*jsonOut, append(b, '\n'), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "mutate:", err)
			os.Exit(1)
		}
	}
}

// atLines are the lines of -at, as "file.go:LINE".
var atLines map[string]bool

// draw returns n of sites at random (seeded by seed and the package), in
// source order.
func draw(sites []mutate.Site, n int, seed, pkg string) []mutate.Site {
	if n <= 0 || n >= len(sites) {
		return sites
	}
	h := fnv.New64a()
	h.Write([]byte(seed + "\x00" + pkg))
	r := rand.New(rand.NewPCG(h.Sum64(), 0))
	idx := r.Perm(len(sites))[:n]
	slices.Sort(idx)
	out := make([]mutate.Site, n)
	for i, j := range idx {
		out[i] = sites[j]
	}
	return out
}

func runPackage(dir string, n int, seed string, workers int, timeout time.Duration) (summary, error) {
	pkg := filepath.ToSlash(filepath.Clean(dir))
	sites, err := mutate.Sites(dir)
	if err != nil {
		return summary{}, err
	}
	s := summary{Package: pkg, Sites: len(sites)}
	tried := draw(sites, n, seed, pkg)
	if len(atLines) > 0 {
		tried = nil
		for _, st := range sites {
			if atLines[fmt.Sprintf("%s:%d", filepath.Base(st.File), st.Line)] {
				tried = append(tried, st)
			}
		}
	}
	s.Tried = len(tried)
	tmp, err := os.MkdirTemp("", "evote-mutate-")
	if err != nil {
		return s, err
	}
	defer os.RemoveAll(tmp)

	fmt.Printf("%s: %d sites, trying %d; the tests without a mutant first\n", pkg, len(sites), len(tried))
	if fate, out := goTest(dir, "", timeout); fate != survived {
		return s, fmt.Errorf("%s: the tests fail without any mutant (%s):\n%s", pkg, fate, out)
	}
	results := make([]result, len(tried))
	next := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for range max(1, workers) {
		wg.Go(func() {
			for i := range next {
				site := tried[i]
				start := time.Now()
				fate, err := runMutant(tmp, i, dir, site, timeout)
				if err != nil {
					fate = invalid
					fmt.Fprintln(os.Stderr, "mutate:", err)
				}
				results[i] = result{Package: pkg, Site: site, Fate: fate, Took: time.Since(start)}
				mu.Lock()
				done++
				fmt.Printf("[%d/%d] %-8s %s/%s (%.0fs)\n", done, len(tried), fate, pkg, site, time.Since(start).Seconds())
				mu.Unlock()
			}
		})
	}
	for i := range tried {
		next <- i
	}
	close(next)
	wg.Wait()
	s.Results = results
	for _, r := range results {
		switch r.Fate {
		case killed, timedOut:
			s.Killed++
		case survived:
			s.Survived++
		default:
			s.Invalid++
		}
	}
	if s.Killed+s.Survived > 0 {
		s.Score = float64(s.Killed) / float64(s.Killed+s.Survived)
	}
	return s, nil
}

// runMutant writes mutant i of site and tests the package over it.
func runMutant(tmp string, i int, dir string, site mutate.Site, timeout time.Duration) (string, error) {
	src, err := os.ReadFile(site.File)
	if err != nil {
		return "", err
	}
	m, err := mutate.Apply(src, site)
	if err != nil {
		return "", err
	}
	d := filepath.Join(tmp, fmt.Sprint(i))
	if err := os.MkdirAll(d, 0o755); err != nil {
		return "", err
	}
	file := filepath.Join(d, filepath.Base(site.File))
	if err := os.WriteFile(file, m, 0o644); err != nil {
		return "", err
	}
	overlay, _ := json.Marshal(map[string]map[string]string{"Replace": {site.File: file}})
	ov := filepath.Join(d, "overlay.json")
	if err := os.WriteFile(ov, overlay, 0o644); err != nil {
		return "", err
	}
	fate, _ := goTest(dir, ov, timeout)
	return fate, nil
}

// goTest runs the package's tests (over overlay when not empty) and says
// how they ended.
func goTest(dir, overlay string, timeout time.Duration) (string, string) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout+time.Minute)
	defer cancel()
	args := []string{"test", "-count=1", "-failfast", "-timeout", timeout.String()}
	if overlay != "" {
		args = append(args, "-overlay", overlay)
	}
	cmd := exec.CommandContext(ctx, "go", append(args, ".")...)
	cmd.Dir = dir // the package's own module, wherever it is checked out
	out, err := cmd.CombinedOutput()
	text := string(out)
	switch {
	case err == nil:
		return survived, text
	case strings.Contains(text, "[build failed]") || strings.Contains(text, "[setup failed]"):
		return invalid, text
	case errors.Is(ctx.Err(), context.DeadlineExceeded) || strings.Contains(text, "panic: test timed out"):
		return timedOut, text
	default:
		return killed, text
	}
}
