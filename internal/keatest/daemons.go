package keatest

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Daemons started alone: kea-dhcp4 on its unix socket, without a Control
// Agent, and Kea's other daemons (kea-dhcp-ddns).

// StartDHCP starts kea-dhcp4 alone from config dhcp4, whose unix control
// socket is socket, and returns once the daemon answers there (or fails
// the test after 10 s, with its log).
func (k Kea) StartDHCP(t testing.TB, dirs Dirs, dhcp4 []byte, socket string) *Node {
	t.Helper()
	n := k.StartIn(t, "", dirs, dhcp4, nil, "unix://"+socket, "", "")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	exited := false
	err := Eventually(ctx, 50*time.Millisecond, func() (bool, error) {
		select {
		case <-n.procs[0].exited:
			exited = true // it refused the config: no point waiting
			return true, nil
		default:
		}
		_, err := n.Command(ctx, "version-get", nil)
		return err == nil, nil
	})
	if exited {
		t.Fatalf("%s exited instead of answering on %s\n%s", k, socket, n.Logs())
	}
	if err != nil {
		t.Fatalf("%s did not answer on %s: %v\n%s", k, socket, err, n.Logs())
	}
	return n
}

// StartDaemon starts one more of this installation's daemons (bin, e.g.
// kea-dhcp-ddns) in namespace ns ("" for this one) from config data
// written into dirs.Root as name, stopped when the test ends. It returns
// the process's log file.
func (k Kea) StartDaemon(t testing.TB, ns string, dirs Dirs, bin, name string, data []byte) string {
	t.Helper()
	cfg := filepath.Join(dirs.Root, name)
	if err := os.WriteFile(cfg, data, 0o600); err != nil {
		t.Fatal(err)
	}
	p := &proc{name: bin, exited: make(chan struct{}), log: filepath.Join(dirs.Log, bin+".out")}
	out, err := os.Create(p.log)
	if err != nil {
		t.Fatal(err)
	}
	p.cmd = k.Command(ns, bin, "-c", cfg)
	p.cmd.Dir = dirs.Root
	p.cmd.Env = append(os.Environ(), dirs.Env()...)
	p.cmd.Stdout, p.cmd.Stderr = out, out
	if err := p.cmd.Start(); err != nil {
		out.Close()
		t.Fatalf("starting %s: %v", bin, err)
	}
	go func() { _ = p.cmd.Wait(); out.Close(); close(p.exited) }()
	t.Cleanup(func() { p.stop() })
	return p.log
}
