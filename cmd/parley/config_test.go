package main

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"parley/internal/server"
)

// allTypesFile sets every key of the config file, one of each TOML type.
const allTypesFile = `
listen = "127.0.0.1:7000"
tls-listen = ":7443"
tls-cert = "cert.pem"
tls-key = "key.pem"
http = ""
db = ":memory:"
durability = "relaxed"
idle-timeout = "10s"
lang = "zh"
hide-addrs = true
max-line = 100
queue = 512
rate = 2.5
max-conns = 7
max-conns-per-ip = 3
log-format = "json"
operators = ["alice", " bob ", ""]
`

// allSet is the Config that allTypesFile, allFlags and allEnv describe.
func allSet(c *server.Config) {
	c.Listen = "127.0.0.1:7000"
	c.TLSListen, c.TLSCert, c.TLSKey = ":7443", "cert.pem", "key.pem"
	c.HTTP = ""
	c.DB = ":memory:"
	c.Durability = "relaxed"
	c.IdleTimeout = 10 * time.Second
	c.Lang = "zh"
	c.HideAddrs = true
	c.MaxLine, c.Queue, c.Rate = 100, 512, 2.5
	c.MaxConns, c.MaxConnsPerIP = 7, 3
	c.Operators = []string{"alice", "bob"}
}

var allFlags = []string{
	"--listen", "127.0.0.1:7000", "--tls-listen", ":7443", "--tls-cert", "cert.pem",
	"--tls-key", "key.pem", "--http", "", "--db", ":memory:", "--durability", "relaxed",
	"--idle-timeout", "10s", "--lang", "zh", "--hide-addrs", "--max-line", "100",
	"--queue", "512", "--rate", "2.5", "--max-conns", "7", "--max-conns-per-ip", "3",
	"--log-format", "json", "--operators", " alice,, bob ,",
}

// allEnv cannot turn -http off: an empty variable counts as unset.
var allEnv = map[string]string{
	"PARLEY_LISTEN": "127.0.0.1:7000", "PARLEY_TLS_LISTEN": ":7443", "PARLEY_TLS_CERT": "cert.pem",
	"PARLEY_TLS_KEY": "key.pem", "PARLEY_DB": ":memory:", "PARLEY_DURABILITY": "relaxed",
	"PARLEY_IDLE_TIMEOUT": "10s", "PARLEY_LANG": "zh", "PARLEY_HIDE_ADDRS": "true",
	"PARLEY_MAX_LINE": "100", "PARLEY_QUEUE": "512", "PARLEY_RATE": "2.5", "PARLEY_MAX_CONNS": "7",
	"PARLEY_MAX_CONNS_PER_IP": "3", "PARLEY_LOG_FORMAT": "json", "PARLEY_OPERATORS": "alice, bob",
}

func TestLoadConfig(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		// file, when set, is written to $FILE, which PARLEY_CONFIG names
		// unless env or args mention $FILE themselves.
		file    string
		want    func(*server.Config) // changes to DefaultConfig; nil for none
		wantLog string               // log format; "" means "text"
		wantErr string               // exact error, $FILE replaced by the path
	}{
		{name: "defaults"},
		{name: "all flags", args: allFlags, want: allSet, wantLog: "json"},
		{name: "all variables", env: allEnv, want: func(c *server.Config) {
			allSet(c)
			c.HTTP = ":8080"
		}, wantLog: "json"},
		{name: "all keys in the file", file: allTypesFile, want: allSet, wantLog: "json"},
		{name: "file named by --config", args: []string{"--config", "$FILE"}, file: "queue = 5",
			want: func(c *server.Config) { c.Queue = 5 }},
		{name: "--config beats PARLEY_CONFIG", args: []string{"--config", "$FILE"},
			env: map[string]string{"PARLEY_CONFIG": "/nonexistent/parley.toml"}, file: "queue = 5",
			want: func(c *server.Config) { c.Queue = 5 }},
		{name: "--config empty means no file", args: []string{"--config", ""},
			env: map[string]string{"PARLEY_CONFIG": "/nonexistent/parley.toml"}},
		{name: "operators as a string in the file", file: `operators = "alice, bob,"`,
			want: func(c *server.Config) { c.Operators = []string{"alice", "bob"} }},
		{name: "rate as an integer in the file", file: "rate = 3",
			want: func(c *server.Config) { c.Rate = 3 }},
		{name: "empty file", file: "# nothing"},

		// Precedence, all on -queue.
		{name: "flag beats variable and file", args: []string{"--queue", "1"},
			env: map[string]string{"PARLEY_QUEUE": "2"}, file: "queue = 3",
			want: func(c *server.Config) { c.Queue = 1 }},
		{name: "variable beats file", env: map[string]string{"PARLEY_QUEUE": "2"}, file: "queue = 3",
			want: func(c *server.Config) { c.Queue = 2 }},
		{name: "file beats default", file: "queue = 3",
			want: func(c *server.Config) { c.Queue = 3 }},
		{name: "empty variable is unset", env: map[string]string{"PARLEY_QUEUE": ""}, file: "queue = 3",
			want: func(c *server.Config) { c.Queue = 3 }},
		{name: "flag beats a bad variable", args: []string{"--queue", "1"},
			env: map[string]string{"PARLEY_QUEUE": "x"}, want: func(c *server.Config) { c.Queue = 1 }},

		// Zero values that mean "off", not "default".
		{name: "--idle-timeout 0", args: []string{"--idle-timeout", "0"},
			want: func(c *server.Config) { c.IdleTimeout = 0 }},
		{name: `--http ""`, args: []string{"--http", ""}, env: map[string]string{"PARLEY_HTTP": ":1"},
			file: `http = ":2"`, want: func(c *server.Config) { c.HTTP = "" }},
		{name: `http = "" in the file`, file: `http = ""`, want: func(c *server.Config) { c.HTTP = "" }},
		{name: "--rate 0", args: []string{"--rate", "0"}, want: func(c *server.Config) { c.Rate = 0 }},
		{name: "caps 0", args: []string{"--max-conns", "0", "--max-conns-per-ip", "0"},
			want: func(c *server.Config) { c.MaxConns, c.MaxConnsPerIP = 0, 0 }},

		// File errors.
		{name: "unknown key", file: `listne = ":1"`, wantErr: `$FILE: unknown key "listne"`},
		{name: "key config", file: `config = "other.toml"`,
			wantErr: `$FILE: key "config" cannot be set in a config file`},
		{name: "integer as string", file: `queue = "512"`,
			wantErr: `$FILE: key "queue": want an integer, got string`},
		{name: "boolean as string", file: `hide-addrs = "true"`,
			wantErr: `$FILE: key "hide-addrs": want a boolean, got string`},
		{name: "duration as integer", file: `idle-timeout = 10`,
			wantErr: `$FILE: key "idle-timeout": want a duration string such as "10s", got integer`},
		{name: "string as integer", file: `listen = 9999`,
			wantErr: `$FILE: key "listen": want a string, got integer`},
		{name: "rate as string", file: `rate = "fast"`,
			wantErr: `$FILE: key "rate": want a number, got string`},
		{name: "integer as float", file: `queue = 1.5`,
			wantErr: `$FILE: key "queue": want an integer, got float`},
		{name: "operators list of integers", file: `operators = ["alice", 2]`,
			wantErr: `$FILE: key "operators": want a list of strings or a comma-separated string, got a list holding integer`},
		{name: "table", file: "[listen]\nport = 1",
			wantErr: `$FILE: key "listen": want a string, got table`},
		{name: "bad duration in the file", file: `idle-timeout = "soon"`,
			wantErr: `$FILE: invalid value "soon" for flag -idle-timeout: parse error`},
		{name: "TOML syntax", file: "queue = ",
			wantErr: `$FILE: toml: line 1 (last key "queue"): unexpected EOF; expected value`},
		{name: "missing file from PARLEY_CONFIG", env: map[string]string{"PARLEY_CONFIG": "/nonexistent/parley.toml"},
			wantErr: "PARLEY_CONFIG: open /nonexistent/parley.toml: no such file or directory"},
		{name: "missing file from --config", args: []string{"--config", "/nonexistent/parley.toml"},
			wantErr: "open /nonexistent/parley.toml: no such file or directory"},

		// Variable errors.
		{name: "bad integer variable", env: map[string]string{"PARLEY_QUEUE": "x"},
			wantErr: `PARLEY_QUEUE: invalid value "x" for flag -queue: parse error`},
		{name: "bad duration variable", env: map[string]string{"PARLEY_IDLE_TIMEOUT": "10"},
			wantErr: `PARLEY_IDLE_TIMEOUT: invalid value "10" for flag -idle-timeout: parse error`},
		{name: "bad boolean variable", env: map[string]string{"PARLEY_HIDE_ADDRS": "yes"},
			wantErr: `PARLEY_HIDE_ADDRS: invalid value "yes" for flag -hide-addrs: parse error`},

		// Validation, naming the source of the bad value.
		{name: "lang", args: []string{"--lang", "fr"},
			wantErr: `invalid value "fr" for flag -lang: want "en" or "zh"`},
		{name: "lang from variable", env: map[string]string{"PARLEY_LANG": "fr"},
			wantErr: `PARLEY_LANG: invalid value "fr" for flag -lang: want "en" or "zh"`},
		{name: "lang from file", file: `lang = "fr"`,
			wantErr: `$FILE: invalid value "fr" for flag -lang: want "en" or "zh"`},
		{name: "operator name not valid", args: []string{"--operators", "alice,bob smith"},
			wantErr: `invalid value "alice,bob smith" for flag -operators: "bob smith" is not a valid name: character not allowed`},
		{name: "operator name not valid in the file", file: `operators = ["root", "a|b"]`,
			wantErr: `$FILE: invalid value "root,a|b" for flag -operators: "a|b" is not a valid name: character not allowed`},
		{name: "durability", args: []string{"--durability", "eventual"},
			wantErr: `invalid value "eventual" for flag -durability: want "strict" or "relaxed"`},
		{name: "log-format", args: []string{"--log-format", "xml"},
			wantErr: `invalid value "xml" for flag -log-format: want "text" or "json"`},
		{name: "idle-timeout negative", args: []string{"--idle-timeout", "-1s"},
			wantErr: `invalid value "-1s" for flag -idle-timeout: must not be negative (0 turns the idle kick off)`},
		{name: "max-line 0", args: []string{"--max-line", "0"},
			wantErr: `invalid value "0" for flag -max-line: must be at least 1`},
		{name: "queue 0", file: "queue = 0",
			wantErr: `$FILE: invalid value "0" for flag -queue: must be at least 1`},
		{name: "rate negative", args: []string{"--rate", "-1"},
			wantErr: `invalid value "-1" for flag -rate: must be a finite number, not negative (0 is unlimited)`},
		{name: "rate NaN", env: map[string]string{"PARLEY_RATE": "NaN"},
			wantErr: `PARLEY_RATE: invalid value "NaN" for flag -rate: must be a finite number, not negative (0 is unlimited)`},
		{name: "rate Inf", args: []string{"--rate", "inf"},
			wantErr: `invalid value "+Inf" for flag -rate: must be a finite number, not negative (0 is unlimited)`},
		{name: "max-conns negative", args: []string{"--max-conns", "-1"},
			wantErr: `invalid value "-1" for flag -max-conns: must not be negative (0 is unlimited)`},
		{name: "max-conns-per-ip negative", args: []string{"--max-conns-per-ip", "-1"},
			wantErr: `invalid value "-1" for flag -max-conns-per-ip: must not be negative (0 is unlimited)`},
		{name: "tls-listen without key", args: []string{"--tls-listen", ":7443", "--tls-cert", "c.pem"},
			wantErr: `flag -tls-listen ":7443" needs both -tls-cert and -tls-key`},
		{name: "tls-listen without cert", env: map[string]string{"PARLEY_TLS_LISTEN": ":7443"}, file: `tls-key = "k.pem"`,
			wantErr: `flag -tls-listen ":7443" needs both -tls-cert and -tls-key`},
		{name: "argument", args: []string{"--queue", "1", "now"},
			wantErr: `unexpected argument "now" (serve takes only flags)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "parley.toml")
			env := map[string]string{}
			for k, v := range tt.env {
				env[k] = v
			}
			var args []string
			for _, a := range tt.args {
				args = append(args, strings.ReplaceAll(a, "$FILE", path))
			}
			if tt.file != "" {
				if err := os.WriteFile(path, []byte(tt.file), 0o600); err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(strings.Join(tt.args, " "), "$FILE") {
					env["PARLEY_CONFIG"] = path
				}
			}
			var stderr bytes.Buffer
			cfg, logFormat, err := loadConfig(args, func(k string) string { return env[k] }, &stderr)

			if tt.wantErr != "" {
				want := strings.ReplaceAll(tt.wantErr, "$FILE", path)
				if err == nil || err.Error() != want {
					t.Fatalf("err = %v, want %s", err, want)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v (stderr %q)", err, stderr.String())
			}
			want := server.DefaultConfig()
			if tt.want != nil {
				tt.want(&want)
			}
			if !reflect.DeepEqual(cfg, want) {
				t.Errorf("config =\n%+v\nwant\n%+v", cfg, want)
			}
			wantLog := tt.wantLog
			if wantLog == "" {
				wantLog = "text"
			}
			if logFormat != wantLog {
				t.Errorf("log format = %q, want %q", logFormat, wantLog)
			}
			if stderr.Len() > 0 {
				t.Errorf("stderr = %q, want nothing", stderr.String())
			}
		})
	}
}

func TestLoadConfigCommandLine(t *testing.T) {
	noEnv := func(string) string { return "" }

	var stderr bytes.Buffer
	_, _, err := loadConfig([]string{"-h"}, noEnv, &stderr)
	if !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: err = %v, want flag.ErrHelp", err)
	}
	if !strings.Contains(stderr.String(), "-idle-timeout duration") {
		t.Errorf("-h: usage does not list -idle-timeout:\n%s", stderr.String())
	}

	stderr.Reset()
	_, _, err = loadConfig([]string{"--queue", "x"}, noEnv, &stderr)
	var ferr flagError
	if !errors.As(err, &ferr) {
		t.Errorf("--queue x: err = %v, want a flagError", err)
	}
	if !strings.Contains(stderr.String(), `invalid value "x" for flag -queue: parse error`) ||
		!strings.Contains(stderr.String(), "usage: parley serve") {
		t.Errorf("--queue x: stderr lacks the error or the usage:\n%s", stderr.String())
	}
}

func TestRun(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		env        map[string]string
		wantCode   int
		wantStdout string
		wantStderr string // a substring
	}{
		{name: "version", args: []string{"version"}, wantStdout: "parley " + version() + "\n"},
		{name: "no arguments", wantCode: 2, wantStderr: "usage: parley <command>"},
		{name: "help", args: []string{"help"}, wantCode: 2, wantStderr: "serve     run a Parley server"},
		{name: "unknown command", args: []string{"sevre"}, wantCode: 2,
			wantStderr: `parley: unknown command "sevre"`},
		{name: "serve -h", args: []string{"serve", "-h"}, wantStderr: "-max-conns-per-ip int"},
		{name: "serve bad flag", args: []string{"serve", "--bogus"}, wantCode: 2,
			wantStderr: "flag provided but not defined: -bogus"},
		{name: "serve bad variable", args: []string{"serve"}, env: map[string]string{"PARLEY_LANG": "fr"},
			wantCode: 2, wantStderr: `parley serve: PARLEY_LANG: invalid value "fr" for flag -lang`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tt.args, &stdout, &stderr, func(k string) string { return tt.env[k] })
			if code != tt.wantCode {
				t.Errorf("exit code = %d, want %d (stderr %q)", code, tt.wantCode, stderr.String())
			}
			if stdout.String() != tt.wantStdout {
				t.Errorf("stdout = %q, want %q", stdout.String(), tt.wantStdout)
			}
			if !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("stderr = %q, want it to hold %q", stderr.String(), tt.wantStderr)
			}
		})
	}
}

func TestVersionOf(t *testing.T) {
	for in, want := range map[string]string{"": "dev", "(devel)": "dev", "v1.2.3": "v1.2.3"} {
		if got := versionOf(in); got != want {
			t.Errorf("versionOf(%q) = %q, want %q", in, got, want)
		}
	}
}
