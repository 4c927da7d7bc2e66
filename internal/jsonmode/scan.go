package jsonmode

import (
	"bytes"
	"encoding/json"
)

// scanObject walks line, trimmed of white space, and records the raw value
// of each key Parse reads; a later value of a key replaces an earlier one. It
// reports false, and Parse leaves the line to encoding/json, if line is not
// valid JSON, is not an object, or has a key with an escape in it.
//
// Once json.Valid has passed, the walk checks nothing: every key is a string
// followed by a colon and a value, values are separated by commas, and the
// object ends at the last byte.
func scanObject(line []byte) (f fields, ok bool) {
	if line[0] != '{' || !json.Valid(line) {
		return f, false
	}
	i := skipSpace(line, 1)
	if line[i] == '}' {
		return f, true
	}
	for {
		end := skipString(line, i)
		key := line[i+1 : end-1]
		if bytes.IndexByte(key, '\\') >= 0 {
			return f, false // encoding/json decodes the key first
		}
		i = skipSpace(line, skipSpace(line, end)+1) // past the colon
		end = skipValue(line, i)
		if k := fieldIndex(key); k >= 0 {
			f[k] = line[i:end]
		}
		i = skipSpace(line, end)
		if line[i] == '}' {
			return f, true
		}
		i = skipSpace(line, i+1) // past the comma
	}
}

// fieldIndex returns the index in fields of key, or -1 if Parse ignores it.
func fieldIndex(key []byte) int {
	switch string(key) {
	case "op":
		return fieldOp
	case "text":
		return fieldText
	case "to":
		return fieldTo
	case "name":
		return fieldName
	case "room":
		return fieldRoom
	case "password":
		return fieldPassword
	case "reason":
		return fieldReason
	case "target":
		return fieldTarget
	case "duration":
		return fieldDuration
	case "id":
		return fieldID
	case "limit":
		return fieldLimit
	case "before":
		return fieldBefore
	}
	return -1
}

// The skip functions take valid JSON and the index of a token's first byte,
// and return the index just past it.

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString skips the string at b[i]: it ends at the first quote after an
// even number of backslashes (a run of them is escaped pairs, and an odd one
// out escapes the quote).
func skipString(b []byte, i int) int {
	start := i + 1
	for {
		q := i + 1 + bytes.IndexByte(b[i+1:], '"')
		n := 0
		for q-1-n >= start && b[q-1-n] == '\\' {
			n++
		}
		if n%2 == 0 {
			return q + 1
		}
		i = q
	}
}

// skipValue skips the value at b[i]. An object or array ends at the bracket
// that brings the depth back to zero; a number or literal at the first byte
// that cannot be part of it.
func skipValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for {
			switch b[i] {
			case '"':
				i = skipString(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
	}
	for ; i < len(b); i++ {
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i
		}
	}
	return i
}
