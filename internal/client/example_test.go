package client_test

import (
	"context"
	"fmt"
	"log/slog"

	"parley/internal/client"
	"parley/internal/server"
)

// A bot that answers "!ping" in its room. (The example starts a server of
// its own to talk to; a real bot dials yours the same way.)
func Example_bot() {
	cfg := server.DefaultConfig()
	cfg.Listen, cfg.HTTP, cfg.DB = "127.0.0.1:0", "", ":memory:"
	cfg.Log = slog.New(slog.DiscardHandler)
	srv, err := server.Start(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Shutdown(context.Background())
	ctx := context.Background()

	bot, err := client.Dial(ctx, client.Config{Addr: srv.TCPAddr(), Name: "pingbot", Reconnect: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	done := make(chan struct{})
	go func() { // the bot: ends when the bot is closed
		defer close(done)
		for ev := range bot.Events() {
			if m, ok := ev.(client.Message); ok && m.Text == "!ping" {
				bot.Say("pong, " + m.From)
			}
		}
	}()

	ann, err := client.Dial(ctx, client.Config{Addr: srv.TCPAddr(), Name: "ann"})
	if err != nil {
		fmt.Println(err)
		return
	}
	ann.Say("!ping")
	for ev := range ann.Events() {
		if m, ok := ev.(client.Message); ok && m.From == "pingbot" {
			fmt.Printf("%s: %s\n", m.From, m.Text)
			break
		}
	}
	ann.Close()
	bot.Close()
	<-done
	// Output: pingbot: pong, ann
}
