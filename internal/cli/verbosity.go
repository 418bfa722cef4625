package cli

import (
	"context"
	"io"
	"log/slog"

	"github.com/spf13/cobra"
)

// verbosity is the root's -q/--verbose: what goes to stderr besides the
// results and the errors. Quiet drops progress (for scripts and cron),
// verbose adds every Kea command and NetBox request with its duration.
type verbosity struct {
	quiet, verbose bool
	stderr         io.Writer
}

func (v *verbosity) flags(root *cobra.Command) {
	root.PersistentFlags().BoolVarP(&v.quiet, "quiet", "q", false, "print results and errors only: no progress")
	root.PersistentFlags().BoolVar(&v.verbose, "verbose", false, "also log each Kea command and NetBox request, with its duration")
	root.MarkFlagsMutuallyExclusive("quiet", "verbose")
}

func (v *verbosity) logger() *slog.Logger {
	level := slog.LevelInfo
	switch {
	case v.quiet:
		level = slog.LevelWarn
	case v.verbose:
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(v.stderr, &slog.HandlerOptions{Level: level, ReplaceAttr: dropTime}))
}

// dropTime: a terminal or CI log has its own clock.
func dropTime(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 && a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}

type logKey struct{}

// withLog carries a command's logger to the calls it makes.
func withLog(ctx context.Context, l *slog.Logger) context.Context {
	return context.WithValue(ctx, logKey{}, l)
}

// logOf is the command's logger; one run without the root (a test calling
// a command function directly) logs nothing.
func logOf(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(logKey{}).(*slog.Logger); ok {
		return l
	}
	return slog.New(slog.DiscardHandler)
}

// progressOf is whether progress lines are wanted: not under -q.
func progressOf(ctx context.Context) bool {
	return logOf(ctx).Enabled(ctx, slog.LevelInfo)
}
