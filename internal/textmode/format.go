package textmode

import (
	"strconv"
	"strings"
	"time"
)

// arg is one argument of appendf. Only the field that its verb reads is set.
type arg struct {
	s string
	n int64
	t time.Time
}

func str(s string) arg      { return arg{s: s} }
func num(n int) arg         { return arg{n: int64(n)} }
func char(r rune) arg       { return arg{n: int64(r)} }
func stamp(t time.Time) arg { return arg{t: t} }

// stampLayout is how a history line shows its time, in UTC.
const stampLayout = "2006-01-02 15:04:05"

// appendf appends format to dst with each verb replaced by the next argument:
//
//	%s  the string
//	%a  the string in brackets, "[ADDR]", or nothing when it is empty
//	%d  the integer
//	%q  the character, quoted as Go quotes a rune ('x')
//	%t  the time in UTC, as 2006-01-02 15:04:05
//	%%  a percent sign
//
// It is fmt.Appendf without reflection: it does not allocate, which matters on
// the fan-out path. A missing argument reads as the zero arg; extra arguments
// are ignored.
func appendf(dst []byte, format string, args ...arg) []byte {
	for {
		i := strings.IndexByte(format, '%')
		if i < 0 || i+1 == len(format) {
			return append(dst, format...)
		}
		dst = append(dst, format[:i]...)
		verb := format[i+1]
		format = format[i+2:]
		if verb == '%' {
			dst = append(dst, '%')
			continue
		}
		var a arg
		if len(args) > 0 {
			a, args = args[0], args[1:]
		}
		switch verb {
		case 's':
			dst = appendText(dst, a.s)
		case 'a':
			if a.s != "" {
				dst = append(dst, '[')
				dst = appendText(dst, a.s)
				dst = append(dst, ']')
			}
		case 'd':
			dst = strconv.AppendInt(dst, a.n, 10)
		case 'q':
			dst = strconv.AppendQuoteRune(dst, rune(a.n))
		case 't':
			dst = a.t.UTC().AppendFormat(dst, stampLayout)
		}
	}
}

// line is appendf followed by the line's LF.
func line(dst []byte, format string, args ...arg) []byte {
	return append(appendf(dst, format, args...), '\n')
}

// appendText appends s, with any CR or LF turned into a space so that one
// event can never pass for two lines. chat cleans every text and name before
// it makes an event, so this is only a second line of defence.
func appendText(dst []byte, s string) []byte {
	if strings.IndexByte(s, '\n') < 0 && strings.IndexByte(s, '\r') < 0 {
		return append(dst, s...)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\n' || c == '\r' {
			c = ' '
		}
		dst = append(dst, c)
	}
	return dst
}
