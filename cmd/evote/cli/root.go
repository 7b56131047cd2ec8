// Package cli holds evote's commands: cobra for the command tree, viper for
// configuration (a file in the node home, EVOTE_* environment variables and
// flags, in rising precedence). Commands fill plain config structs, validate
// them, and call into the evote packages; they hold no rules of their own.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"
)

// Version is the binary's version, set at build time with -ldflags.
var Version = "dev"

// Run executes evote with args and returns the process exit code. Prompts
// read the process's standard input.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return RunWithInput(ctx, args, os.Stdin, stdout, stderr)
}

// RunWithInput is Run with prompts reading stdin (a terminal, a pipe, or a
// test's input).
func RunWithInput(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRoot(stdin, stdout, stderr)
	root.SetArgs(args)
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(stderr, "evote:", err)
		var ee *exitError
		if errors.As(err, &ee) {
			return ee.code
		}
		return 1
	}
	return 0
}

// exitError carries a specific exit code.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// env is what every command receives: its viper instance, the input that
// prompts read and the output streams.
type env struct {
	v              *viper.Viper
	stdin          io.Reader
	stdout, stderr io.Writer
}

func newRoot(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	e := &env{v: viper.New(), stdin: stdin, stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:           "evote",
		Short:         "evote: end-to-end verifiable voting on a replicated ballot chain",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return e.load(cmd)
		},
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentFlags().String("home", defaultHome(), "node home directory (config file evote.yaml is read from here)")
	root.AddCommand(newVersionCmd(e), newUpCmd(e), newNodeCmd(e), newTestnetCmd(e), newStatusCmd(e), newSampleCmd(e), newBenchCmd(e), newTallyCmd(e))
	root.AddCommand(newWalletCmd(e), newVoteCmd(e), newReceiptCmd(e), newBallotCmd(e))
	root.AddCommand(newElectionCmd(e), newRollCmd(e), newTrusteeCmd(e), newResultsCmd(e), newDemoCmd(e))
	root.AddCommand(newExportCmd(e), newVerifyCmd(e), newObserveCmd(e), newNetworkCmd(e))
	return root
}

// load binds flags and environment, and reads the config file if present.
func (e *env) load(cmd *cobra.Command) error {
	e.v.SetEnvPrefix("EVOTE")
	e.v.SetEnvKeyReplacer(strings.NewReplacer("-", "_", ".", "_"))
	e.v.AutomaticEnv()
	if err := e.v.BindPFlags(cmd.Flags()); err != nil {
		return err
	}
	home := e.v.GetString("home")
	e.v.SetConfigFile(filepath.Join(home, "evote.yaml"))
	if err := e.v.ReadInConfig(); err != nil && !errors.Is(err, os.ErrNotExist) {
		var notFound viper.ConfigFileNotFoundError
		if !errors.As(err, &notFound) {
			if _, statErr := os.Stat(filepath.Join(home, "evote.yaml")); statErr == nil {
				return fmt.Errorf("reading %s: %w", filepath.Join(home, "evote.yaml"), err)
			}
		}
	}
	return nil
}

func defaultHome() string {
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".evote")
	}
	return ".evote"
}

func newVersionCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "print the version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			fmt.Fprintln(e.stdout, "evote", Version)
			return nil
		},
	}
}
