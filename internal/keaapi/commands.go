package keaapi

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// Version returns the daemon's version, e.g. "2.2.0".
func (c *Client) Version(ctx context.Context) (string, error) {
	a, err := c.Do(ctx, "version-get", nil)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(a.Text), nil
}

// Status is what status-get reports that keaops acts on.
type Status struct {
	PID    int `json:"pid"`
	Uptime int `json:"uptime"`
	// Reload is seconds since the last configuration.
	Reload int        `json:"reload"`
	HA     []HAStatus `json:"high-availability"`
}

// HAStatus is one HA relationship as the daemon sees it.
type HAStatus struct {
	Mode    string `json:"ha-mode"`
	Servers struct {
		Local  HALocal  `json:"local"`
		Remote HARemote `json:"remote"`
	} `json:"ha-servers"`
}

// HALocal is this server in its relationship.
type HALocal struct {
	Role   string   `json:"role"`
	Scopes []string `json:"scopes"`
	State  string   `json:"state"`
}

// HARemote is the partner as last seen.
type HARemote struct {
	Role                     string `json:"role"`
	LastState                string `json:"last-state"`
	InTouch                  bool   `json:"in-touch"`
	CommunicationInterrupted bool   `json:"communication-interrupted"`
	Age                      int    `json:"age"`
}

// Status runs status-get.
func (c *Client) Status(ctx context.Context) (Status, error) {
	var st Status
	raw, err := c.Command(ctx, "status-get", nil)
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(raw, &st); err != nil {
		return st, fmt.Errorf("status-get: decoding: %w", err)
	}
	return st, nil
}

// Config is a daemon's running configuration as config-get returns it.
type Config struct {
	// Dhcp4 is the configuration, with every default Kea filled in: the
	// Dhcp4 object, or DhcpDdns for a kea-dhcp-ddns client (ForD2).
	Dhcp4 json.RawMessage
	// Hash is Kea's hash of it (2.4+; empty on 2.2).
	Hash string
}

// ConfigGet returns the running configuration. The hash Kea 2.4+ adds next
// to Dhcp4 is split off: config-set refuses any key but Dhcp4.
func (c *Client) ConfigGet(ctx context.Context) (Config, error) {
	raw, err := c.Command(ctx, "config-get", nil)
	if err != nil {
		return Config{}, err
	}
	var v map[string]json.RawMessage
	if err := json.Unmarshal(raw, &v); err != nil {
		return Config{}, fmt.Errorf("config-get: decoding: %w", err)
	}
	if len(v[c.root()]) == 0 {
		return Config{}, fmt.Errorf("config-get: the answer has no %s configuration", c.root())
	}
	var hash string
	_ = json.Unmarshal(v["hash"], &hash)
	return Config{Dhcp4: v[c.root()], Hash: hash}, nil
}

func (c *Client) wrap(dhcp4 json.RawMessage) map[string]json.RawMessage {
	return map[string]json.RawMessage{c.root(): dhcp4}
}

// ConfigTest asks the daemon whether it would accept a configuration. Kea
// does not run hook libraries' checks here: a config that passes can still
// fail ConfigSet.
func (c *Client) ConfigTest(ctx context.Context, dhcp4 json.RawMessage) error {
	_, err := c.Command(ctx, "config-test", c.wrap(dhcp4))
	return err
}

// ConfigSet applies a configuration in memory and returns Kea's hash of it
// (2.4+; empty on 2.2). A failure leaves the daemon serving nothing until a
// good configuration is set (kea-facts §1.5): callers must restore one.
func (c *Client) ConfigSet(ctx context.Context, dhcp4 json.RawMessage) (string, error) {
	raw, err := c.Command(ctx, "config-set", c.wrap(dhcp4))
	if err != nil {
		return "", err
	}
	var v struct {
		Hash string `json:"hash"`
	}
	_ = json.Unmarshal(raw, &v) // 2.2 answers without arguments
	return v.Hash, nil
}

// ConfigWrite persists the running configuration to the daemon's -c file.
func (c *Client) ConfigWrite(ctx context.Context) error {
	_, err := c.Command(ctx, "config-write", nil)
	return err
}

// ConfigHash returns Kea's hash of the running configuration; on 2.2 the
// error matches ErrUnsupported.
func (c *Client) ConfigHash(ctx context.Context) (string, error) {
	raw, err := c.Command(ctx, "config-hash-get", nil)
	if err != nil {
		return "", err
	}
	var v struct {
		Hash string `json:"hash"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", fmt.Errorf("config-hash-get: decoding: %w", err)
	}
	return v.Hash, nil
}

// ListCommands returns the commands the daemon answers: which hooks it
// loaded, in the terms a plan needs (reservation-add means host_cmds).
func (c *Client) ListCommands(ctx context.Context) ([]string, error) {
	raw, err := c.Command(ctx, "list-commands", nil)
	if err != nil {
		return nil, err
	}
	var out []string
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("list-commands: decoding: %w", err)
	}
	return out, nil
}
