package bench

import (
	"bytes"
	"strconv"
)

// A bench line's text is "b S SEQ T x" and more x up to the size: S the
// sender's index, SEQ its sequence number, T the send time in nanoseconds
// since the run began. The server sends it back as "[ADDR]NAME:b S SEQ T …"
// (or "NAME:b …" under --hide-addrs); neither an address nor a name holds
// a space, so the first ":b " starts the text.
var benchMark = []byte(":b ")

// appendLine appends one bench line, LF included, to dst.
func appendLine(dst []byte, sender int, seq, sent int64, size int) []byte {
	start := len(dst)
	dst = append(dst, 'b', ' ')
	dst = strconv.AppendInt(dst, int64(sender), 10)
	dst = append(dst, ' ')
	dst = strconv.AppendInt(dst, seq, 10)
	dst = append(dst, ' ')
	dst = strconv.AppendInt(dst, sent, 10)
	dst = append(dst, ' ', 'x') // text never ends in a space, which a server may trim
	for len(dst)-start < size {
		dst = append(dst, 'x')
	}
	return append(dst, '\n')
}

// parseLine finds a bench line's numbers in a line as the server sends it.
// It does not allocate.
func parseLine(line []byte) (sender int, seq, sent int64, ok bool) {
	i := bytes.Index(line, benchMark)
	if i < 0 {
		return 0, 0, 0, false
	}
	return parseNums(line[i+len(benchMark):])
}

// A private message comes to its recipient as "from [NAME]: TEXT" (zh
// "来自:[NAME]的消息，内容是:TEXT"), and back to its sender as "to [NAME]:
// TEXT" (zh "发送给:[NAME]的消息，内容是:TEXT"). A name holds no space, so
// the first "]: " ends it (an IPv6 address name, "[::1]:40000", has "]:"
// followed by a digit); nor does it hold "]的".
var (
	dmIn = []dmForm{
		{[]byte("from ["), []byte("]: ")},
		{[]byte("来自:["), []byte("]的消息，内容是:")},
	}
	dmOut = []dmForm{
		{[]byte("to ["), []byte("]: ")},
		{[]byte("发送给:["), []byte("]的消息，内容是:")},
	}
	benchText = []byte("b ")
)

// dmForm is one wording of a private message: what comes before the name,
// and what comes between the name and the text.
type dmForm struct{ pre, sep []byte }

// parseDM finds a bench line's numbers in a private message received, as
// the server sends it to the recipient; the sender's copy is not one. It
// does not allocate.
func parseDM(line []byte) (sender int, seq, sent int64, ok bool) {
	return parseDMForm(line, dmIn)
}

// parseDMCopy finds a bench line's numbers in the sender's copy of a
// private message; what the recipient gets is not one.
func parseDMCopy(line []byte) (sender int, seq, sent int64, ok bool) {
	return parseDMForm(line, dmOut)
}

func parseDMForm(line []byte, forms []dmForm) (sender int, seq, sent int64, ok bool) {
	for _, f := range forms {
		rest, found := bytes.CutPrefix(line, f.pre)
		if !found {
			continue
		}
		i := bytes.Index(rest, f.sep)
		if i < 0 {
			break
		}
		text, found := bytes.CutPrefix(rest[i+len(f.sep):], benchText)
		if !found {
			break
		}
		return parseNums(text)
	}
	return 0, 0, 0, false
}

// parseNums reads "S SEQ T ", the numbers of a bench line after its "b ".
func parseNums(p []byte) (sender int, seq, sent int64, ok bool) {
	s, p, ok1 := parseNum(p)
	seq, p, ok2 := parseNum(p)
	sent, _, ok3 := parseNum(p)
	if !ok1 || !ok2 || !ok3 || s > 1<<30 {
		return 0, 0, 0, false
	}
	return int(s), seq, sent, true
}

// parseNum reads a decimal number ending in a space, and returns it and
// what follows the space.
func parseNum(p []byte) (n int64, rest []byte, ok bool) {
	i := 0
	for ; i < len(p) && i < 18; i++ { // 18 digits cannot overflow
		c := p[i]
		if c == ' ' {
			break
		}
		if c < '0' || c > '9' {
			return 0, nil, false
		}
		n = n*10 + int64(c-'0')
	}
	if i == 0 || i == len(p) || p[i] != ' ' {
		return 0, nil, false
	}
	return n, p[i+1:], true
}

// trimEOL removes a line's LF and a CR before it.
func trimEOL(line []byte) []byte {
	line = bytes.TrimSuffix(line, []byte{'\n'})
	return bytes.TrimSuffix(line, []byte{'\r'})
}

// welcomeName returns the name in the greeting ("*** welcome NAME, you are
// in [lobby]…", zh "*** 欢迎 NAME，你在 […"), or "".
func welcomeName(line []byte) string {
	for _, w := range [...]struct{ pre, post string }{
		{"*** welcome ", ", you are in ["},
		{"*** 欢迎 ", "，你在 ["},
	} {
		if rest, ok := bytes.CutPrefix(line, []byte(w.pre)); ok {
			if i := bytes.Index(rest, []byte(w.post)); i > 0 {
				return string(rest[:i])
			}
		}
	}
	return ""
}

// The presence words (en, zh) of the lines Run looks for.
var (
	onlineWords  = []string{":online", ":已上线"}
	offlineWords = []string{":offline", ":下线"}
)

// isPresence reports whether line is a presence line of name with one of
// words: "[ADDR]NAME:online" or, under --hide-addrs, "NAME:online".
func isPresence(line []byte, name string, words []string) bool {
	for _, word := range words {
		rest, ok := bytes.CutSuffix(line, []byte(word))
		if !ok {
			continue
		}
		if rest, ok = bytes.CutSuffix(rest, []byte(name)); ok && (len(rest) == 0 || rest[len(rest)-1] == ']') {
			return true
		}
	}
	return false
}

// isJoined reports whether line answers our /join: "joined [ROOM]" (zh
// "已加入 [ROOM]").
func isJoined(line []byte, room string) bool {
	rest, ok := bytes.CutSuffix(line, []byte("["+room+"]"))
	return ok && len(rest) > 0 && rest[0] != '[' && rest[len(rest)-1] == ' '
}

// isBye reports whether line is the answer to /quit: "bye" (zh "再见").
func isBye(line []byte) bool {
	return string(line) == "bye" || string(line) == "再见"
}

// isRenamed reports whether line answers our rename to name: "renamed:
// [OLD]->[NAME]" (zh "用户名修改成功,[OLD]->[NAME]").
func isRenamed(line []byte, name string) bool {
	return bytes.HasSuffix(line, []byte("]->["+name+"]"))
}

// isNameTaken reports whether line refuses our rename to name because
// someone has it: "error: name taken: NAME" (zh "用户名已存在，修改失败",
// which does not say the name).
func isNameTaken(line []byte, name string) bool {
	return string(line) == "error: name taken: "+name || string(line) == "用户名已存在，修改失败"
}
