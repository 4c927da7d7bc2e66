package client

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// The operator commands (PROTOCOL.md "Operators and look-alike names").
// Only a client logged in to an operator account may use them; anyone
// else's get an *Error with code unauthorized. Their ok replies name the
// target, never the client: they are told apart from a rename by their ref.

// Ban is one row of Bans.
type Ban struct {
	Target string    // a name, or an address
	Until  time.Time // when the ban ends; zero: until lifted
	Reason string
}

// errNegative refuses a negative duration, rather than let a mistake in
// arithmetic ban someone until lifted.
var errNegative = errors.New("client: negative duration")

// Kick ends the session of the user called name, telling them who did it
// and why (reason may be empty).
func (c *Client) Kick(ctx context.Context, name, reason string) error {
	op := map[string]any{"op": "kick", "name": name}
	if reason != "" {
		op["reason"] = reason
	}
	_, err := c.request(ctx, op)
	return err
}

// Ban kicks and refuses target, a name or an address, for d (0: until
// lifted). A name that is registered is refused its logins too, and the
// address it is online from is refused.
func (c *Client) Ban(ctx context.Context, target string, d time.Duration, reason string) error {
	op := map[string]any{"op": "ban", "target": target}
	if err := setDuration(op, d); err != nil {
		return err
	}
	if reason != "" {
		op["reason"] = reason
	}
	_, err := c.request(ctx, op)
	return err
}

// Unban lifts the ban on target; an *Error with code bad_request if there
// is none.
func (c *Client) Unban(ctx context.Context, target string) error {
	_, err := c.request(ctx, map[string]any{"op": "unban", "target": target})
	return err
}

// Mute refuses the chat lines and private messages of the user called
// name for d (0: until lifted).
func (c *Client) Mute(ctx context.Context, name string, d time.Duration) error {
	op := map[string]any{"op": "mute", "name": name}
	if err := setDuration(op, d); err != nil {
		return err
	}
	_, err := c.request(ctx, op)
	return err
}

// Unmute lifts the mute on name; an *Error with code bad_request if there
// is none.
func (c *Client) Unmute(ctx context.Context, name string) error {
	_, err := c.request(ctx, map[string]any{"op": "unmute", "name": name})
	return err
}

// Bans lists the bans in force, sorted by target.
func (c *Client) Bans(ctx context.Context) ([]Ban, error) {
	w, err := c.request(ctx, map[string]any{"op": "bans"})
	if err != nil {
		return nil, err
	}
	bans := make([]Ban, len(w.Bans))
	for i, b := range w.Bans {
		bans[i] = Ban{Target: b.Target, Reason: b.Reason}
		if b.Until == "forever" {
			continue
		}
		if bans[i].Until, err = time.Parse(time.RFC3339, b.Until); err != nil {
			return nil, fmt.Errorf("client: bans: the ban on %q ends at %q: %v", b.Target, b.Until, err)
		}
	}
	return bans, nil
}

// setDuration puts d in op as a Go duration, unless it is 0.
func setDuration(op map[string]any, d time.Duration) error {
	switch {
	case d < 0:
		return errNegative
	case d > 0:
		op["duration"] = d.String()
	}
	return nil
}
