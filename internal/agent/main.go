package agent

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/keaops/keaops/internal/version"
)

// Main runs keaops-agent with args (without the program name) until ctx
// ends; SIGHUP reloads the configuration file. It returns the exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("keaops-agent", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "/etc/keaops/agent.yaml", "configuration file")
	once := fs.Bool("once", false, "run one reconcile pass and exit (0 when it succeeded)")
	prepare := fs.Bool("prepare", false, "install the latest verified revision as Kea's config file and exit, without contacting Kea (before Kea starts)")
	showVersion := fs.Bool("version", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *showVersion {
		fmt.Fprintln(stdout, "keaops-agent", version.String())
		return 0
	}
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		cfg, err := LoadConfig(*path)
		if err != nil {
			log.Error("configuration", "err", err)
			return 1
		}
		a, err := New(cfg, log)
		if err != nil {
			log.Error("starting", "err", err)
			return 1
		}
		if *prepare {
			if err := a.Prepare(ctx); err != nil {
				log.Error("prepare", "err", err)
				return 1
			}
			return 0
		}
		if *once {
			a.Pass(ctx)
			if a.Status().LastError != "" {
				return 1
			}
			return 0
		}
		runCtx, cancel := context.WithCancel(ctx)
		reloaded := make(chan struct{})
		go func() {
			select {
			case <-hup:
				log.Info("SIGHUP: reloading the configuration")
				close(reloaded)
				cancel()
			case <-runCtx.Done():
			}
		}()
		err = a.serve(runCtx, log)
		cancel()
		if err != nil {
			log.Error("serving", "err", err)
			return 1
		}
		select {
		case <-reloaded:
			continue
		default:
			log.Info("stopped")
			return 0
		}
	}
}

// serve runs the HTTP endpoints and the reconcile loop until ctx ends.
func (a *Agent) serve(ctx context.Context, log *slog.Logger) error {
	l, err := net.Listen("tcp", a.cfg.Listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", a.cfg.Listen, err)
	}
	srv := &http.Server{Handler: a.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("http", "err", err)
		}
	}()
	log.Info("started", "listen", l.Addr().String(), "interval", a.cfg.Interval.String())
	err = a.Run(ctx)
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
	return err
}
