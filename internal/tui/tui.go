// Package tui is `parley chat`'s full-screen terminal client, on bubbletea.
//
// The screen, top to bottom: the scrollback (with, on terminals at least
// sidePanelMinWidth columns wide, a side panel listing the people in your
// room and the rooms), the input line, and the status line (connection,
// name, room, round trip).
//
// Shape (after bubbletea's examples/realtime): the Model never touches the
// network itself. It talks to a Chat (a *client.Client, or a fake in the
// tests); what the server says reaches Update as a message through a
// command that waits on Chat.Events and is started again after every event;
// requests that wait for a reply (who, join, …) run as commands under a
// timeout, and their results come back as messages. Every text that came
// from the server goes through chat.Clean before it is drawn, so no control
// character it sent reaches the terminal.
package tui

import (
	"context"
	"fmt"
	"io"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"parley/internal/client"
)

// Chat is what the model needs of a connection; *client.Client has it all.
// Requests block until the server answers or ctx ends.
type Chat interface {
	Events() <-chan client.Event
	Say(text string) error
	DM(ctx context.Context, to, text string) (client.DirectMessage, error)
	Nick(ctx context.Context, name string) error
	Join(ctx context.Context, room string) error
	Who(ctx context.Context) ([]client.User, error)
	Rooms(ctx context.Context) ([]client.Room, error)
	Ping(ctx context.Context) (time.Duration, error)
	History(ctx context.Context, room string, limit int, before int64) ([]client.Message, error)
	Register(ctx context.Context, password string) error
	Login(ctx context.Context, name, password string) error
	Kick(ctx context.Context, name, reason string) error
	Ban(ctx context.Context, target string, d time.Duration, reason string) error
	Unban(ctx context.Context, target string) error
	Mute(ctx context.Context, name string, d time.Duration) error
	Unmute(ctx context.Context, name string) error
	Bans(ctx context.Context) ([]client.Ban, error)
	Name() string
	Room() string
	RTT() time.Duration
	Connected() bool
}

var _ Chat = (*client.Client)(nil)

// Run connects as cfg says (reconnecting and keeping the connection alive
// whatever cfg says of those), runs the full-screen client on in and out
// until the user quits, then closes the connection. It returns nil when the
// user quits (/quit, Ctrl+C, or Ctrl+D on an empty line), the dial's error
// when it cannot connect, and ctx's error, wrapped, when ctx ends first.
// Signals are the caller's: Run installs no handler, so cancel ctx on one.
func Run(ctx context.Context, cfg client.Config, in io.Reader, out io.Writer) error {
	cfg.Reconnect = true
	if cfg.KeepAlive < 0 {
		cfg.KeepAlive = 0 // the client's default interval
	}
	c, err := client.Dial(ctx, cfg)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", cfg.Addr, err)
	}
	defer c.Close()

	// The model's commands wait on mctx; ending it lets them return once
	// the program is over.
	mctx, cancel := context.WithCancel(ctx)
	defer cancel()
	m := New(c, Options{Context: mctx, Renderer: lipgloss.NewRenderer(out)})
	p := tea.NewProgram(m,
		tea.WithInput(in),
		tea.WithOutput(out),
		tea.WithAltScreen(),
		tea.WithoutSignalHandler(),
	)
	// ctx ends the program as /quit does, not with tea.WithContext: a
	// killed program leaves its input reader blocked for good.
	stop := context.AfterFunc(ctx, p.Quit)
	defer stop()
	if _, err := p.Run(); err != nil {
		return fmt.Errorf("chat: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("chat: %w", err)
	}
	return nil
}
