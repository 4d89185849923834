package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/solidarity-letters/solidarity/cmd/solidarity/bench"
)

const benchUsage = `Usage:
  solidarity bench [--max N] [--duration D] [--quick] [--profile DIR]
                   [--only bundle] [--baseline EXE[,EXE...]]

Starts solidarity in this process on a fresh embedded database in a
temporary folder, bound to 127.0.0.1, loads generated campaigns through the
bulk path, measures the public pages, signing (at 5k, and as a campaign
grows from 1k to --max signatures), the console's signature list, start-up
and a bundle of 100k signatures, and prints one table beside the goals.
Every request goes to 127.0.0.1. A full run takes a quarter of an hour or
more; --quick runs tiny sizes in seconds. With --profile, CPU profiles of
GET /c/{slug}, of signing and of the bundle (CPU and heap) are written to
DIR (go tool pprof -top FILE).

Flags:
  --max N        signatures of the growing campaign (default 1000000)
  --duration D   how long each load measure runs (default 10s)
  --quick        tiny sizes and 1s measures, to check the bench
  --profile DIR  write CPU profiles there
  --only bundle  load the growing campaign to --max and the bundle's
                 campaign, and measure only the bundle
  --baseline EXE[,EXE...]
                 build the same bundle with other solidarity binaries
                 first, for rows to compare with
`

// benchCmd runs `solidarity bench`.
func benchCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	opts := bench.Options{MinFillTime: minFillTime, Out: stdout, Log: stderr}
	fs.IntVar(&opts.Max, "max", 1_000_000, "signatures of the growing campaign")
	fs.DurationVar(&opts.Duration, "duration", 10*time.Second, "how long each load measure runs")
	fs.BoolVar(&opts.Quick, "quick", false, "tiny sizes, seconds")
	fs.StringVar(&opts.ProfileDir, "profile", "", "folder for CPU profiles")
	fs.StringVar(&opts.Only, "only", "", "bundle: measure only the bundle")
	baselines := fs.String("baseline", "", "other solidarity binaries to build the bundle with first, comma-separated")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("bench: unexpected argument %q", fs.Arg(0))
	}
	if opts.Quick && !flagSet(fs, "duration") {
		opts.Duration = time.Second
	}
	if *baselines != "" {
		opts.Baselines = strings.Split(*baselines, ",")
	}
	if opts.Only != "" && opts.Only != "bundle" {
		return fmt.Errorf("bench: --only %q: the only measure that runs alone is bundle", opts.Only)
	}
	if opts.Max < 1 || opts.Duration <= 0 {
		return errors.New("bench: --max and --duration must be positive")
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("bench: find the solidarity binary: %w", err)
	}
	opts.Exe = exe
	return bench.Run(ctx, opts)
}

// flagSet reports whether the flag was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
