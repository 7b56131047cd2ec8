// Package cometconf reads a node home's CometBFT configuration
// (config/config.toml) into CometBFT's plain config struct. It is the one
// place that reads that file, with viper as CometBFT itself does, so that
// chain takes the struct and imports no configuration library
// (DESIGN.md, "Layout and dependency direction"). cmd uses it to start a
// node; chain's and web's tests use it to restart the homes they wrote.
package cometconf

import (
	"fmt"
	"path/filepath"

	cfg "github.com/cometbft/cometbft/config"
	"github.com/spf13/viper"
)

// Load reads home/config/config.toml over CometBFT's defaults, roots the
// configuration at home and checks it.
func Load(home string) (*cfg.Config, error) {
	path := filepath.Join(home, "config", "config.toml")
	v := viper.New()
	v.SetConfigFile(path)
	if err := v.ReadInConfig(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	c := cfg.DefaultConfig()
	if err := v.Unmarshal(c); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	c.SetRoot(home)
	if err := c.ValidateBasic(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}
