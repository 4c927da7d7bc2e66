package textmode

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"parley/internal/chat"
)

// The seeds' commands, matched exactly (case and all).
const (
	seedWho    = "who"
	seedRename = "rename|"
	seedTo     = "to|"
)

// slashCommand is one row of the slash command table.
type slashCommand struct {
	word  string // matched ignoring case
	op    chat.Op
	usage string // the usage error's Arg when args refuses the rest
	// args fills cmd from the rest of the line (after the word and its
	// space) and reports whether the rest was usable; nil for commands that
	// take no arguments, which ignore the rest.
	args func(cmd *chat.Command, rest string) bool
	// secret marks a command whose arguments hold a password. A word that
	// merely starts with it ("/registerhunter2", the space forgotten) is
	// its usage error, not an unknown command that would echo the word.
	secret bool
}

var slashCommands = [...]slashCommand{
	{word: "/who", op: chat.OpWho},
	{word: "/nick", op: chat.OpNick, usage: usageNick, args: nickArgs},
	{word: "/msg", op: chat.OpDM, usage: usageMsg, args: msgArgs},
	{word: "/join", op: chat.OpJoin, usage: usageJoin, args: joinArgs},
	{word: "/rooms", op: chat.OpRooms},
	{word: "/help", op: chat.OpHelp},
	{word: "/quit", op: chat.OpQuit},
	{word: "/register", op: chat.OpRegister, usage: usageRegister, args: registerArgs, secret: true},
	{word: "/login", op: chat.OpLogin, usage: usageLogin, args: loginArgs, secret: true},
	{word: "/history", op: chat.OpHistory, usage: usageHistory, args: historyArgs},
	{word: "/kick", op: chat.OpKick, usage: usageKick, args: kickArgs},
	{word: "/ban", op: chat.OpBan, usage: usageBan, args: banArgs},
	{word: "/unban", op: chat.OpUnban, usage: usageUnban, args: nickArgs},
	{word: "/mute", op: chat.OpMute, usage: usageMute, args: muteArgs},
	{word: "/unmute", op: chat.OpUnmute, usage: usageUnmute, args: nickArgs},
	{word: "/bans", op: chat.OpBans},
}

// Parse decodes one typed line (without its LF and CR); see the package
// comment for the table. It does not keep line.
func (c *Codec) Parse(line []byte) chat.Command {
	s := chat.Clean(string(line))
	t := strings.TrimRightFunc(s, unicode.IsSpace)
	switch {
	case t == "":
		return chat.Command{Op: chat.OpNone}
	case t == seedWho:
		return chat.Command{Op: chat.OpWho}
	case strings.HasPrefix(t, seedRename):
		return chat.Command{Op: chat.OpNick, Name: t[len(seedRename):]}
	case strings.HasPrefix(t, seedTo):
		return parseTo(t[len(seedTo):])
	case strings.HasPrefix(t, "//"):
		return chat.Command{Op: chat.OpSay, Text: s[1:]}
	case t[0] == '/':
		return parseSlash(t)
	}
	return chat.Command{Op: chat.OpSay, Text: s, AddrDM: strings.Contains(s, "#")}
}

// parseTo decodes the NAME|TEXT after "to|". An empty TEXT goes through: the
// hub checks for an unknown name before it checks for an empty text.
func parseTo(rest string) chat.Command {
	name, text, ok := strings.Cut(rest, "|")
	if !ok || name == "" {
		return usageError(usageTo)
	}
	return chat.Command{Op: chat.OpDM, Name: name, Text: text}
}

// parseSlash decodes a line that starts with one '/'.
func parseSlash(t string) chat.Command {
	word, rest, _ := strings.Cut(t, " ")
	for i := range slashCommands {
		sc := &slashCommands[i]
		if !strings.EqualFold(word, sc.word) {
			continue
		}
		cmd := chat.Command{Op: sc.op}
		if sc.args != nil && !sc.args(&cmd, rest) {
			return usageError(sc.usage)
		}
		return cmd
	}
	for i := range slashCommands {
		if sc := &slashCommands[i]; sc.secret && hasPrefixFold(word, sc.word) {
			return usageError(sc.usage)
		}
	}
	return chat.Command{Op: chat.OpInvalid, Err: &chat.Error{Problem: chat.ProbUnknownCommand, Arg: word}}
}

// hasPrefixFold reports whether s starts with prefix, ignoring case as
// strings.EqualFold does (rune by rune, so "/regiſterX" counts too).
func hasPrefixFold(s, prefix string) bool {
	for _, p := range prefix {
		r, size := utf8.DecodeRuneInString(s)
		if size == 0 || !strings.EqualFold(string(r), string(p)) {
			return false
		}
		s = s[size:]
	}
	return true
}

func usageError(usage string) chat.Command {
	return chat.Command{Op: chat.OpInvalid, Err: &chat.Error{Problem: chat.ProbUsage, Arg: usage}}
}

func nickArgs(cmd *chat.Command, rest string) bool {
	cmd.Name = strings.TrimSpace(rest)
	return cmd.Name != ""
}

func joinArgs(cmd *chat.Command, rest string) bool {
	cmd.Room = strings.TrimSpace(rest)
	return cmd.Room != ""
}

// msgArgs takes NAME up to the next space and TEXT as everything after that
// space; spaces before NAME are skipped.
func msgArgs(cmd *chat.Command, rest string) bool {
	name, text, ok := strings.Cut(strings.TrimLeft(rest, " "), " ")
	if !ok || name == "" {
		return false
	}
	cmd.Name, cmd.Text = name, text
	return true
}

// registerArgs takes the password as everything after "/register ", inner
// and leading spaces kept (trailing ones are gone with the line rule). The
// password never goes into an error: a usage error has a fixed Arg.
func registerArgs(cmd *chat.Command, rest string) bool {
	cmd.Text = rest
	return rest != ""
}

// loginArgs takes NAME up to the next space and the password as everything
// after that space, as msgArgs does for /msg; an empty password is refused.
func loginArgs(cmd *chat.Command, rest string) bool {
	name, pw, ok := strings.Cut(strings.TrimLeft(rest, " "), " ")
	if !ok || name == "" || pw == "" {
		return false
	}
	cmd.Name, cmd.Text = name, pw
	return true
}

// kickArgs takes NAME up to the next space and the reason, optional, as
// everything after it.
func kickArgs(cmd *chat.Command, rest string) bool {
	name, reason, _ := strings.Cut(strings.TrimLeft(rest, " "), " ")
	cmd.Name, cmd.Text = name, strings.TrimSpace(reason)
	return name != ""
}

// banArgs takes TARGET, then DURATION if the next word is one
// (chat.ParseDuration), then the reason: "/ban bob spam" is a ban until
// lifted, for spam.
func banArgs(cmd *chat.Command, rest string) bool {
	if !kickArgs(cmd, rest) {
		return false
	}
	word, reason, _ := strings.Cut(cmd.Text, " ")
	if d, ok := chat.ParseDuration(word); ok {
		cmd.Duration, cmd.Text = d, strings.TrimSpace(reason)
	}
	return true
}

// muteArgs takes NAME and an optional DURATION; anything else after NAME is
// a usage error.
func muteArgs(cmd *chat.Command, rest string) bool {
	if !kickArgs(cmd, rest) {
		return false
	}
	d, ok := chat.ParseDuration(cmd.Text)
	if cmd.Text != "" && !ok {
		return false
	}
	cmd.Duration, cmd.Text = d, ""
	return true
}

// maxHistoryLimit is where a typed /history N stops growing: the hub caps N
// far lower (1000), and a bounded value is safe for its arithmetic.
const maxHistoryLimit = 1<<31 - 1

// historyArgs takes an optional N: ASCII decimal digits, at least 1. Values
// too large for maxHistoryLimit become maxHistoryLimit.
func historyArgs(cmd *chat.Command, rest string) bool {
	rest = strings.TrimSpace(rest)
	if rest == "" {
		return true
	}
	n := 0
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		if c < '0' || c > '9' {
			return false
		}
		if d := int(c - '0'); n > (maxHistoryLimit-d)/10 {
			n = maxHistoryLimit
		} else {
			n = n*10 + d
		}
	}
	if n == 0 {
		return false
	}
	cmd.Limit = n
	return true
}
