package tui

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestTmuxTwoClientsChat is the end-to-end test: the real binary's
// `parley chat`, twice, in tmux (a real terminal), against a server in the
// test; alice and bob talk, then alice quits.
func TestTmuxTwoClientsChat(t *testing.T) {
	tmuxPath, err := exec.LookPath("tmux")
	if err != nil {
		t.Skip("tmux not installed: apt-get install tmux")
	}
	if testing.Short() {
		t.Skip("builds the binary and drives tmux; skipped with -short")
	}
	goPath, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH, to build the binary")
	}
	bin := filepath.Join(t.TempDir(), "parley")
	if out, err := exec.Command(goPath, "build", "-o", bin, "parley/cmd/parley").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	srv := startServer(t)

	tm := &tmux{t: t, path: tmuxPath, socket: fmt.Sprintf("parley-test-%d-%d", os.Getpid(), time.Now().UnixNano())}
	t.Cleanup(func() { tm.run("kill-server") })
	for _, name := range []string{"alice", "bob"} {
		// The shell line outlives the client, so that its exit status
		// can be read off the pane.
		cmd := fmt.Sprintf("%s chat --addr %s --name %s; echo parley exited $?; sleep 60", shellQuote(bin), srv.TCPAddr(), name)
		if _, err := tm.run("new-session", "-d", "-x", "120", "-y", "40", "-s", name, cmd); err != nil {
			t.Fatalf("tmux new-session %s: %v", name, err)
		}
	}
	tm.waitFor("alice", "● connected │ alice")
	tm.waitFor("bob", "● connected │ bob")

	tm.sendLine("alice", "hello bob")
	tm.waitFor("bob", "alice: hello bob")
	tm.sendLine("bob", "hi alice")
	tm.waitFor("alice", "bob: hi alice")

	tm.sendLine("alice", "/quit")
	tm.waitFor("alice", "parley exited 0")
}

// tmux runs tmux commands on a server of the test's own.
type tmux struct {
	t      *testing.T
	path   string
	socket string
}

func (tm *tmux) run(args ...string) (string, error) {
	cmd := exec.Command(tm.path, append([]string{"-L", tm.socket, "-f", "/dev/null"}, args...)...)
	cmd.Env = append(os.Environ(), "TERM=xterm-256color")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("tmux %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// sendLine types text into session's pane and presses Enter.
func (tm *tmux) sendLine(session, text string) {
	tm.t.Helper()
	if _, err := tm.run("send-keys", "-t", session, "-l", text); err != nil {
		tm.t.Fatal(err)
	}
	if _, err := tm.run("send-keys", "-t", session, "Enter"); err != nil {
		tm.t.Fatal(err)
	}
}

// waitFor polls session's pane until it shows want, for up to 15s.
func (tm *tmux) waitFor(session, want string) {
	tm.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var screen string
	for time.Now().Before(deadline) {
		out, err := tm.run("capture-pane", "-p", "-t", session)
		if err == nil {
			screen = out
			if strings.Contains(screen, want) {
				return
			}
			if strings.Contains(screen, "full-screen client is not built yet") {
				tm.t.Fatalf("`parley chat` does not start the TUI yet: cmd/parley/chat.go must call tui.Run\n%s", trimScreen(screen))
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	tm.t.Fatalf("session %s never showed %q; its screen:\n%s", session, want, trimScreen(screen))
}

// trimScreen drops the blanks that end a captured pane's lines, and its
// empty last lines.
func trimScreen(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.TrimRight(strings.Join(lines, "\n"), "\n")
}

// shellQuote quotes s for sh.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
