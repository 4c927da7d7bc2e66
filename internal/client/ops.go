package client

import (
	"context"
	"time"
)

// Say sends a chat line to the client's room. There is no reply: the line
// comes back as a Message event, like to everyone in the room; an error the
// server has about it (store_unavailable) comes as a ServerError event.
func (c *Client) Say(text string) error {
	c.mu.Lock()
	cn, closed := c.cur, c.closed
	c.mu.Unlock()
	switch {
	case closed:
		return ErrClosed
	case cn == nil:
		return ErrDisconnected
	}
	return cn.write(map[string]any{"op": "say", "text": text})
}

// DM sends a private message and returns it as the server recorded it
// (Queued if the recipient is a registered user who is away).
func (c *Client) DM(ctx context.Context, to, text string) (DirectMessage, error) {
	w, err := c.request(ctx, map[string]any{"op": "dm", "to": to, "text": text})
	if err != nil {
		return DirectMessage{}, err
	}
	return w.event().(DirectMessage), nil
}

// Nick takes a new name.
func (c *Client) Nick(ctx context.Context, name string) error {
	_, err := c.request(ctx, map[string]any{"op": "nick", "name": name})
	return err
}

// Join leaves the current room for room; its History event follows.
func (c *Client) Join(ctx context.Context, room string) error {
	_, err := c.request(ctx, map[string]any{"op": "join", "room": room})
	return err
}

// Who lists everyone online, sorted by name.
func (c *Client) Who(ctx context.Context) ([]User, error) {
	w, err := c.request(ctx, map[string]any{"op": "who"})
	if err != nil {
		return nil, err
	}
	return w.Users, nil
}

// Rooms lists the rooms that have people in them, sorted by name.
func (c *Client) Rooms(ctx context.Context) ([]Room, error) {
	w, err := c.request(ctx, map[string]any{"op": "rooms"})
	if err != nil {
		return nil, err
	}
	return w.Rooms, nil
}

// Ping measures a round trip to the server.
func (c *Client) Ping(ctx context.Context) (time.Duration, error) {
	start := time.Now()
	if _, err := c.request(ctx, map[string]any{"op": "ping"}); err != nil {
		return 0, err
	}
	rtt := time.Since(start)
	c.mu.Lock()
	c.rtt = rtt
	c.mu.Unlock()
	return rtt, nil
}

// History returns up to limit of a room's lines before message ID before
// (0: the latest), oldest first; room "" is the client's room.
func (c *Client) History(ctx context.Context, room string, limit int, before int64) ([]Message, error) {
	op := map[string]any{"op": "history", "limit": limit}
	if room != "" {
		op["room"] = room
	}
	if before > 0 {
		op["before"] = before
	}
	w, err := c.request(ctx, op)
	if err != nil {
		return nil, err
	}
	return w.messages(), nil
}

// Register makes the client's current name an account with password.
func (c *Client) Register(ctx context.Context, password string) error {
	_, err := c.request(ctx, map[string]any{"op": "register", "password": password})
	return err
}

// Login takes the account name with its password (and with it any private
// messages kept while it was away, as DirectMessage events).
func (c *Client) Login(ctx context.Context, name, password string) error {
	_, err := c.request(ctx, map[string]any{"op": "login", "name": name, "password": password})
	if err == nil { // a reconnect logs in again with these
		c.mu.Lock()
		c.cfg.Name, c.cfg.Password = name, password
		c.mu.Unlock()
	}
	return err
}
