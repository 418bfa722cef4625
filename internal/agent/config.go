// Package agent is keaops-agent's reconciler: on each Kea node it pulls the
// rendered artifacts (a Git branch written by keaops publish, or a
// directory), verifies this node's files against the manifest, tests them,
// writes Kea's config file atomically, applies it through the local control
// socket, and confirms — restoring the previous file and configuration on
// any failure. It reports what it did on /status and /metrics.
//
// It links neither CUE nor the NetBox client: it trusts the render and
// checks only what can go wrong between the render and this node.
package agent

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/keaops/keaops/internal/safefile"
)

// Config is the agent's configuration file.
type Config struct {
	// Node is this node's name in the site (and in the manifest).
	Node   string `yaml:"node"`
	Source Source `yaml:"source"`
	Kea    Kea    `yaml:"kea"`
	// Interval between passes (jittered by up to 10%).
	Interval Duration `yaml:"interval"`
	// Listen is the address of /healthz, /status, /metrics and /sync.
	Listen string `yaml:"listen"`
	// SyncTokenFile holds the shared secret POST /sync requires.
	SyncTokenFile string `yaml:"sync-token-file"`
	// Drift: "correct" re-applies the artifact over a hand edit, "report"
	// only reports it.
	Drift string `yaml:"drift"`
	// StateDir keeps the applied and failed revisions across restarts.
	StateDir string `yaml:"state-dir"`
	HA       HA     `yaml:"ha"`
	// AllowOlder lets the agent apply a revision whose publish serial is
	// below the applied one (a deliberate rollback by resetting the
	// branch); by default it is refused.
	AllowOlder bool `yaml:"allow-older-revisions"`
	// Lock, when set, is the site's deploy lock (keaops.yaml deploy.lock):
	// the agent changes Kea only while it holds it, so it never applies in
	// the middle of a keaops deploy, nor one in the middle of its apply.
	Lock *Lock `yaml:"lock"`
}

// Lock is where the deploy lock lives; the agent needs push access there.
type Lock struct {
	URL string `yaml:"url"`
	// Branch defaults to the one keaops deploy uses for the pair's nodes.
	Branch     string   `yaml:"branch"`
	TTL        Duration `yaml:"ttl"`
	User       string   `yaml:"user"`
	TokenFile  string   `yaml:"token-file"`
	SSHKeyFile string   `yaml:"ssh-key-file"`
}

// Source is where artifacts come from: a Git branch or a directory.
type Source struct {
	Git *GitSource `yaml:"git"`
	Dir string     `yaml:"dir"`
}

// GitSource is a branch written by keaops publish.
type GitSource struct {
	URL    string `yaml:"url"`
	Branch string `yaml:"branch"`
	Path   string `yaml:"path"`
	// User and TokenFile for HTTPS; SSHKeyFile for SSH.
	User       string `yaml:"user"`
	TokenFile  string `yaml:"token-file"`
	SSHKeyFile string `yaml:"ssh-key-file"`
}

// Kea is the local Kea server.
type Kea struct {
	// Control is unix:///path/to/socket or a Control Agent URL.
	Control string `yaml:"control"`
	// User and PasswordFile for a Control Agent with basic auth.
	User         string `yaml:"user"`
	PasswordFile string `yaml:"password-file"`
	// ConfigFile is the file kea-dhcp4 starts from (-c); the agent keeps it
	// equal to what runs, so a restart runs the same config.
	ConfigFile string `yaml:"config-file"`
	// AgentConfigFile, when set, receives kea-ctrl-agent.json.
	AgentConfigFile string `yaml:"agent-config-file"`
	// DDNSControl is kea-dhcp-ddns's control: its unix socket, or the
	// Control Agent's URL; DDNSConfigFile is the file it starts from. A
	// site with DDNS needs both, or its kea-dhcp-ddns.json is not applied.
	DDNSControl    string `yaml:"ddns-control"`
	DDNSConfigFile string `yaml:"ddns-config-file"`
}

// HA coordinates the agents of a pair: the primary's agent applies a
// revision only once its partner's agent reports it applied.
type HA struct {
	// WaitFor is the partner agent's base URL (on the primary's agent).
	WaitFor string   `yaml:"wait-for"`
	Timeout Duration `yaml:"timeout"`
}

// Duration reads "30s", "5m" from YAML.
type Duration struct{ time.Duration }

// UnmarshalYAML parses a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration like 30s or 5m", n.Line, n.Value)
	}
	d.Duration = v
	return nil
}

// LoadConfig reads and checks a configuration file.
func LoadConfig(path string) (Config, error) {
	b, err := safefile.ReadFile(path, safefile.Options{Limit: 1 << 20})
	if err != nil {
		return Config{}, fmt.Errorf("reading %s: %w", path, err)
	}
	c, err := ParseConfig(b)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// ParseConfig decodes a configuration, rejecting unknown keys (a typo
// would otherwise silently mean "default"), and fills in defaults.
func ParseConfig(b []byte) (Config, error) {
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return Config{}, fmt.Errorf("decoding: %w", err)
	}
	if c.Interval.Duration == 0 {
		c.Interval.Duration = time.Minute
	}
	if c.Listen == "" {
		c.Listen = "127.0.0.1:10547"
	}
	if c.Drift == "" {
		c.Drift = "correct"
	}
	if c.HA.Timeout.Duration == 0 {
		c.HA.Timeout.Duration = 5 * time.Minute
	}
	if c.Source.Git != nil && c.Source.Git.Branch == "" {
		c.Source.Git.Branch = "keaops-rendered"
	}
	var errs []error
	if c.Node == "" {
		errs = append(errs, errors.New("node: required (this node's name in the site)"))
	}
	if (c.Source.Git == nil) == (c.Source.Dir == "") {
		errs = append(errs, errors.New("source: set exactly one of git or dir"))
	}
	if c.Lock != nil && c.Lock.URL == "" {
		errs = append(errs, errors.New("lock.url: required (the remote of the site's deploy.lock)"))
	}
	if c.Lock != nil && c.Lock.TTL.Duration == 0 {
		c.Lock.TTL.Duration = 10 * time.Minute
	}
	if c.Source.Git != nil && c.Source.Git.URL == "" {
		errs = append(errs, errors.New("source.git.url: required"))
	}
	if c.Kea.Control == "" {
		errs = append(errs, errors.New("kea.control: required (unix:///run/kea/kea4-ctrl-socket, or the Control Agent's URL)"))
	}
	if c.Kea.ConfigFile == "" {
		errs = append(errs, errors.New("kea.config-file: required (the file kea-dhcp4 starts from)"))
	}
	if (c.Kea.DDNSControl == "") != (c.Kea.DDNSConfigFile == "") {
		errs = append(errs, errors.New("kea.ddns-control and kea.ddns-config-file go together: kea-dhcp-ddns's control and the file it starts from"))
	}
	if c.Drift != "correct" && c.Drift != "report" {
		errs = append(errs, fmt.Errorf("drift: %q: want correct or report", c.Drift))
	}
	if c.Interval.Duration < time.Second {
		errs = append(errs, fmt.Errorf("interval: %v is too short (at least 1s)", c.Interval.Duration))
	}
	return c, errors.Join(errs...)
}
