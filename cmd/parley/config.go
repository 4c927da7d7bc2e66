package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	chatcore "parley/internal/chat"
	"parley/internal/server"
)

// flagError is a command-line syntax error that the flag package has already
// written to stderr, together with the usage.
type flagError struct{ err error }

func (e flagError) Error() string { return e.err.Error() }
func (e flagError) Unwrap() error { return e.err }

// loadConfig builds the configuration of `parley serve` from args (what
// follows "serve"), the PARLEY_* variables read through getenv and the TOML
// file named by --config or PARLEY_CONFIG (PROTOCOL.md "Server command
// line"). A flag beats the variable, which beats the file, which beats
// server.DefaultConfig. An empty variable counts as unset.
//
// For -h it returns flag.ErrHelp after writing the usage to stderr; for a
// malformed command line, a flagError that is already on stderr. Every other
// error names the source of the bad value and is not written anywhere.
func loadConfig(args []string, getenv func(string) string, stderr io.Writer) (cfg server.Config, logFormat string, err error) {
	cfg = server.DefaultConfig()
	var operators, configPath string
	fs := newFlagSet(&cfg, &logFormat, &operators, &configPath, stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return cfg, "", err
		}
		return cfg, "", flagError{err}
	}
	if fs.NArg() > 0 {
		return cfg, "", fmt.Errorf("unexpected argument %q (serve takes only flags)", fs.Arg(0))
	}
	from, err := applyEnvAndFile(fs, getenv)
	if err != nil {
		return cfg, "", err
	}
	cfg.Operators = splitList(operators)
	if err := validate(fs, &cfg, logFormat, from); err != nil {
		return cfg, "", err
	}
	return cfg, logFormat, nil
}

// newFlagSet declares every flag of `parley serve`, writing straight into cfg
// and the three values that are not Config fields.
func newFlagSet(cfg *server.Config, logFormat, operators, configPath *string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { serveUsage(fs) }

	fs.StringVar(&cfg.Listen, "listen", cfg.Listen, "TCP `address` of the line protocol")
	fs.StringVar(&cfg.TLSListen, "tls-listen", cfg.TLSListen, "TCP `address` of the same protocol over TLS; off when empty (needs -tls-cert and -tls-key)")
	fs.StringVar(&cfg.TLSCert, "tls-cert", cfg.TLSCert, "PEM certificate `file` for -tls-listen")
	fs.StringVar(&cfg.TLSKey, "tls-key", cfg.TLSKey, "PEM private key `file` for -tls-listen")
	fs.StringVar(&cfg.HTTP, "http", cfg.HTTP, "HTTP `address` of /healthz, /metrics, /ws and the web page; \"\" turns it off")
	fs.StringVar(&cfg.DB, "db", cfg.DB, "SQLite `file`; :memory: keeps nothing on disk")
	fs.StringVar(&cfg.Durability, "durability", cfg.Durability, "strict (deliver once committed) or relaxed (deliver at once, commit within 100 ms)")
	fs.DurationVar(&cfg.IdleTimeout, "idle-timeout", cfg.IdleTimeout, "end sessions silent for this long; 0 turns the idle kick off")
	fs.DurationVar(&cfg.LineTimeout, "line-timeout", cfg.LineTimeout, "end sessions that begin a line and do not finish it within this long (slowloris); 0 turns it off")
	fs.StringVar(&cfg.Lang, "lang", cfg.Lang, "language of text mode: en or zh")
	fs.BoolVar(&cfg.HideAddrs, "hide-addrs", cfg.HideAddrs, "keep client addresses private")
	fs.IntVar(&cfg.MaxLine, "max-line", cfg.MaxLine, "longest line in `bytes`, newline excluded")
	fs.IntVar(&cfg.Queue, "queue", cfg.Queue, "`events` queued per session before it counts as a slow consumer")
	fs.Float64Var(&cfg.Rate, "rate", cfg.Rate, "`lines` per second per connection, burst twice that; 0 is unlimited")
	fs.IntVar(&cfg.MaxConns, "max-conns", cfg.MaxConns, "most connections in total; 0 is unlimited")
	fs.IntVar(&cfg.MaxConnsPerIP, "max-conns-per-ip", cfg.MaxConnsPerIP, "most connections per client address, loopback exempt; 0 is unlimited")
	fs.Float64Var(&cfg.ConnRate, "conn-rate", cfg.ConnRate, "new `connections` per second per client address, burst twice that, loopback exempt; 0 is unlimited")
	fs.StringVar(configPath, "config", "", "TOML `file` whose keys are the flag names")
	fs.StringVar(logFormat, "log-format", "text", "log format: text or json")
	fs.StringVar(operators, "operators", "", "operator account `names`, comma-separated")
	fs.StringVar(&cfg.Pprof, "pprof", cfg.Pprof, "HTTP `address` of the Go profiler (/debug/pprof/); off when empty. Keep it private")
	return fs
}

func serveUsage(fs *flag.FlagSet) {
	w := fs.Output()
	fmt.Fprint(w, `usage: parley serve [flags]

Runs a Parley server. Every flag can also be given as the variable PARLEY_
followed by its name in upper case with - as _ (PARLEY_IDLE_TIMEOUT=10s), or
as a key in the TOML file named by -config or PARLEY_CONFIG
(idle-timeout = "10s", queue = 512, hide-addrs = true,
operators = ["alice", "bob"]). A flag beats the variable, which beats the file.

Flags:
`)
	fs.PrintDefaults()
}

// envName is the variable that stands for a flag: idle-timeout becomes
// PARLEY_IDLE_TIMEOUT.
func envName(flagName string) string {
	return "PARLEY_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// applyEnvAndFile sets every flag the command line left alone from its
// PARLEY_* variable or, failing that, from the config file. It returns the
// source (variable name or file path) of each value it set.
func applyEnvAndFile(fs *flag.FlagSet, getenv func(string) string) (map[string]string, error) {
	onCommandLine := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { onCommandLine[f.Name] = true })

	path, pathSource := fs.Lookup("config").Value.String(), ""
	if !onCommandLine["config"] {
		path, pathSource = getenv(envName("config")), envName("config")
	}
	file, err := readConfigFile(fs, path, pathSource)
	if err != nil {
		return nil, err
	}

	from := map[string]string{}
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	for _, name := range names {
		if onCommandLine[name] || name == "config" {
			continue
		}
		value, source := getenv(envName(name)), envName(name)
		if value == "" {
			var ok bool
			if value, ok = file[name]; !ok {
				continue
			}
			source = path
		}
		if err := fs.Set(name, value); err != nil {
			return nil, invalidValue(source, name, value, err.Error())
		}
		from[name] = source
	}
	return from, nil
}

// invalidValue is the one shape of every bad-value error:
// `SOURCE: invalid value "V" for flag -NAME: WHY`, without the SOURCE when
// the value came from the command line or the default.
func invalidValue(source, name, value, why string) error {
	err := fmt.Errorf("invalid value %q for flag -%s: %s", value, name, why)
	if source != "" {
		err = fmt.Errorf("%s: %w", source, err)
	}
	return err
}

// splitList splits a comma-separated list, trims each entry and drops the
// empty ones.
func splitList(s string) []string {
	var list []string
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			list = append(list, item)
		}
	}
	return list
}

// validate checks what the flag types alone cannot; from names the source of
// each value that did not come from the command line or the default.
func validate(fs *flag.FlagSet, cfg *server.Config, logFormat string, from map[string]string) error {
	checks := []struct {
		name string
		bad  bool
		why  string
	}{
		{"lang", cfg.Lang != "en" && cfg.Lang != "zh", `want "en" or "zh"`},
		{"durability", cfg.Durability != "strict" && cfg.Durability != "relaxed", `want "strict" or "relaxed"`},
		{"log-format", logFormat != "text" && logFormat != "json", `want "text" or "json"`},
		{"idle-timeout", cfg.IdleTimeout < 0, "must not be negative (0 turns the idle kick off)"},
		{"line-timeout", cfg.LineTimeout < 0, "must not be negative (0 turns it off)"},
		{"max-line", cfg.MaxLine < 1, "must be at least 1"},
		{"queue", cfg.Queue < 1, "must be at least 1"},
		{"rate", !(cfg.Rate >= 0) || math.IsInf(cfg.Rate, 1), "must be a finite number, not negative (0 is unlimited)"},
		{"max-conns", cfg.MaxConns < 0, "must not be negative (0 is unlimited)"},
		{"max-conns-per-ip", cfg.MaxConnsPerIP < 0, "must not be negative (0 is unlimited)"},
		{"conn-rate", !(cfg.ConnRate >= 0) || math.IsInf(cfg.ConnRate, 1), "must be a finite number, not negative (0 is unlimited)"},
	}
	for _, c := range checks {
		if c.bad {
			return invalidValue(from[c.name], c.name, fs.Lookup(c.name).Value.String(), c.why)
		}
	}
	for _, name := range cfg.Operators {
		if err := chatcore.ValidName(name); err != nil {
			return invalidValue(from["operators"], "operators", fs.Lookup("operators").Value.String(),
				fmt.Sprintf("%q is not a valid name: %v", name, err))
		}
	}
	if cfg.TLSListen != "" && (cfg.TLSCert == "" || cfg.TLSKey == "") {
		return fmt.Errorf("flag -tls-listen %q needs both -tls-cert and -tls-key", cfg.TLSListen)
	}
	return nil
}

// readConfigFile reads the TOML file at path (none when empty) and returns
// each key's value as the string fs.Set takes. Every key must name a flag and
// hold the TOML type of that flag. pathSource is PARLEY_CONFIG when path came
// from there, for the error if the file cannot be read.
func readConfigFile(fs *flag.FlagSet, path, pathSource string) (map[string]string, error) {
	if path == "" {
		return nil, nil
	}
	var raw map[string]any
	if _, err := toml.DecodeFile(path, &raw); err != nil {
		var perr toml.ParseError
		switch {
		case errors.As(err, &perr):
			return nil, fmt.Errorf("%s: %w", path, err)
		case pathSource != "":
			return nil, fmt.Errorf("%s: %w", pathSource, err)
		}
		return nil, err // an *os.PathError names the file
	}
	values := make(map[string]string, len(raw))
	for _, key := range slices.Sorted(maps.Keys(raw)) {
		f := fs.Lookup(key)
		if f == nil {
			return nil, fmt.Errorf("%s: unknown key %q", path, key)
		}
		if key == "config" {
			return nil, fmt.Errorf("%s: key %q cannot be set in a config file", path, key)
		}
		s, err := tomlValueString(f, raw[key])
		if err != nil {
			return nil, fmt.Errorf("%s: key %q: %w", path, key, err)
		}
		values[key] = s
	}
	return values, nil
}

// tomlValueString checks that v has the TOML type of flag f and returns it in
// the form fs.Set takes: strings and durations as strings, numbers as
// integers (-rate may also be a float), switches as booleans; -operators may
// also be a list of strings.
func tomlValueString(f *flag.Flag, v any) (string, error) {
	switch f.Value.(flag.Getter).Get().(type) {
	case bool:
		if b, ok := v.(bool); ok {
			return strconv.FormatBool(b), nil
		}
		return "", wantGot("a boolean", v)
	case int:
		if i, ok := v.(int64); ok {
			return strconv.FormatInt(i, 10), nil
		}
		return "", wantGot("an integer", v)
	case float64:
		switch n := v.(type) {
		case int64:
			return strconv.FormatInt(n, 10), nil
		case float64:
			return strconv.FormatFloat(n, 'g', -1, 64), nil
		}
		return "", wantGot("a number", v)
	case time.Duration:
		if s, ok := v.(string); ok {
			return s, nil
		}
		return "", wantGot(`a duration string such as "10s"`, v)
	}
	if s, ok := v.(string); ok {
		return s, nil
	}
	if f.Name == "operators" {
		return listString(v)
	}
	return "", wantGot("a string", v)
}

// listString joins a TOML list of strings with commas.
func listString(v any) (string, error) {
	const want = "a list of strings or a comma-separated string"
	list, ok := v.([]any)
	if !ok {
		return "", wantGot(want, v)
	}
	items := make([]string, len(list))
	for i, item := range list {
		s, ok := item.(string)
		if !ok {
			return "", fmt.Errorf("want %s, got a list holding %s", want, tomlType(item))
		}
		items[i] = s
	}
	return strings.Join(items, ","), nil
}

func wantGot(want string, v any) error {
	return fmt.Errorf("want %s, got %s", want, tomlType(v))
}

// tomlType names the TOML type that BurntSushi/toml decoded into v.
func tomlType(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case int64:
		return "integer"
	case float64:
		return "float"
	case bool:
		return "boolean"
	case time.Time:
		return "datetime"
	case []any, []map[string]any:
		return "array"
	case map[string]any:
		return "table"
	}
	return fmt.Sprintf("%T", v)
}
