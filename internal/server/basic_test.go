package server

import "testing"

func TestTextChatBetweenTwo(t *testing.T) {
	s := start(t, nil)
	a := dialText(t, s)
	b := dialText(t, s)
	a.expect("[" + b.addr + "]" + b.addr + ":online")
	a.send("rename|alice")
	a.expect("renamed: [" + a.addr + "]->[alice]")
	b.expect("[" + a.addr + "]" + a.addr + ":renamed to alice")
	a.send("hello")
	a.expect("[" + a.addr + "]alice:hello")
	b.expect("[" + a.addr + "]alice:hello")
	a.quiet()
	b.quiet()
}
