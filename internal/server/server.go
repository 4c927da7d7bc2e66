// Package server wires Parley together: Config → hub, codecs, listeners and
// the HTTP endpoints; Run serves until its context ends, then shuts down in
// order: stop accepting, bye to every session, flush, close.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"runtime/debug"
	"sync"
	"time"

	"parley/internal/chat"
	"parley/internal/jsonmode"
	"parley/internal/store"
	"parley/internal/store/sqlite"
	"parley/internal/textmode"
	"parley/internal/transport/tcp"
	"parley/internal/transport/ws"
)

// Server is a running Parley server.
type Server struct {
	cfg   Config
	log   *slog.Logger
	hub   *chat.Hub
	store store.Store
	tcp   *tcp.Server
	ws    *ws.Handler
	http  *http.Server

	tcpLn, tlsLn, httpLn net.Listener
	pprofLn              net.Listener
	pprof                *http.Server
	errc                 chan error // the serving goroutines' results
	running              int        // how many goroutines send on errc
	failed               chan error // cap 1: the first serving goroutine that failed

	shutdownOnce sync.Once
	shutdownErr  error
}

// Run starts a server with cfg, serves until ctx ends, then shuts it down
// and returns nil; it returns an error if the server cannot start.
func Run(ctx context.Context, cfg Config) error {
	s, err := Start(cfg)
	if err != nil {
		return err
	}
	select {
	case <-ctx.Done():
		return s.Shutdown(context.Background())
	case err := <-s.failed:
		s.log.Error("serving failed; shutting down", "err", err)
		return errors.Join(err, s.Shutdown(context.Background()))
	}
}

// Start opens the listeners, logs `listening` with their real addresses,
// and serves in the background until Shutdown.
func Start(cfg Config) (*Server, error) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 5 * time.Second
	}
	text, err := textmode.New(cfg.Lang)
	if err != nil {
		return nil, err
	}
	json := jsonmode.New()
	st := cfg.Store
	if st == nil {
		if st, err = openStore(cfg.DB); err != nil {
			return nil, err
		}
	}
	hub, err := chat.NewHub(chat.Config{
		Store:         st,
		Relaxed:       cfg.Durability == "relaxed",
		HideAddrs:     cfg.HideAddrs,
		IdleTimeout:   cfg.IdleTimeout,
		LineTimeout:   cfg.LineTimeout,
		Queue:         cfg.Queue,
		Rate:          cfg.Rate,
		MaxLine:       cfg.MaxLine,
		WriteTimeout:  cfg.WriteTimeout,
		MaxConns:      cfg.MaxConns,
		MaxConnsPerIP: cfg.MaxConnsPerIP,
		ConnRate:      cfg.ConnRate,
		Operators:     cfg.Operators,
		Server:        "parley " + Version(),
		Log:           cfg.Log,
	})
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("store: %w", err)
	}
	s := &Server{
		store:  st,
		cfg:    cfg,
		log:    cfg.Log,
		hub:    hub,
		tcp:    &tcp.Server{Hub: hub, Text: text, JSON: json, MaxLine: cfg.MaxLine, Log: cfg.Log},
		ws:     &ws.Handler{Hub: hub, JSON: json, MaxLine: cfg.MaxLine, Log: cfg.Log},
		errc:   make(chan error, 3),
		failed: make(chan error, 1),
	}
	if err := s.listen(); err != nil {
		s.closeListeners()
		hub.Close()
		st.Close()
		return nil, err
	}
	s.serve()
	attrs := []any{"tcp", s.tcpLn.Addr().String()}
	if s.httpLn != nil {
		attrs = append(attrs, "http", s.httpLn.Addr().String())
	}
	if s.tlsLn != nil {
		attrs = append(attrs, "tls", s.tlsLn.Addr().String())
	}
	if s.pprofLn != nil {
		attrs = append(attrs, "pprof", s.pprofLn.Addr().String())
	}
	s.log.Info("listening", attrs...)
	return s, nil
}

func (s *Server) listen() error {
	var err error
	if s.tcpLn, err = net.Listen("tcp", s.cfg.Listen); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	if s.cfg.TLSListen != "" {
		cert, err := tls.LoadX509KeyPair(s.cfg.TLSCert, s.cfg.TLSKey)
		if err != nil {
			return fmt.Errorf("tls: %w", err)
		}
		ln, err := net.Listen("tcp", s.cfg.TLSListen)
		if err != nil {
			return fmt.Errorf("tls listen: %w", err)
		}
		s.tlsLn = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	}
	if s.cfg.HTTP != "" {
		if s.httpLn, err = net.Listen("tcp", s.cfg.HTTP); err != nil {
			return fmt.Errorf("http listen: %w", err)
		}
	}
	if s.cfg.Pprof != "" {
		if s.pprofLn, err = net.Listen("tcp", s.cfg.Pprof); err != nil {
			return fmt.Errorf("pprof listen: %w", err)
		}
	}
	return nil
}

// report hands a serving goroutine's result to Shutdown, and a failure to
// Run as well.
func (s *Server) report(err error) {
	if err != nil {
		select {
		case s.failed <- err:
		default:
		}
	}
	s.errc <- err
}

func (s *Server) serve() {
	s.running = 1
	if s.pprofLn != nil {
		s.servePprof()
	}
	go func() { s.report(s.tcp.Serve(s.tcpLn)) }()
	if s.tlsLn != nil {
		s.running++
		go func() { s.report(s.tcp.Serve(s.tlsLn)) }()
	}
	if s.httpLn != nil {
		s.http = &http.Server{
			Handler:           s.routes(),
			ReadHeaderTimeout: 10 * time.Second,
			IdleTimeout:       time.Minute, // keep-alive scrapes of /metrics
			ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
		}
		s.goServe(s.http, s.httpLn)
	}
}

// goServe serves hs on ln in a goroutine whose result Shutdown collects;
// being shut down is not an error.
func (s *Server) goServe(hs *http.Server, ln net.Listener) {
	s.running++
	go func() {
		err := hs.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.report(err)
	}()
}

// servePprof serves the Go profiler on its own listener.
func (s *Server) servePprof() {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	s.pprof = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	s.goServe(s.pprof, s.pprofLn)
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /ws", s.ws)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.Handle("GET /metrics", s.metricsHandler())
	return mux
}

// TCPAddr, TLSAddr and HTTPAddr are the listeners' real addresses ("" when
// off).
func (s *Server) TCPAddr() string { return addrOf(s.tcpLn) }

// TLSAddr is the TLS listener's address, or "".
func (s *Server) TLSAddr() string { return addrOf(s.tlsLn) }

// HTTPAddr is the HTTP listener's address, or "".
func (s *Server) HTTPAddr() string { return addrOf(s.httpLn) }

func addrOf(ln net.Listener) string {
	if ln == nil {
		return ""
	}
	return ln.Addr().String()
}

// Hub returns the server's chat hub.
func (s *Server) Hub() *chat.Hub { return s.hub }

func (s *Server) closeListeners() {
	for _, ln := range []net.Listener{s.tcpLn, s.tlsLn, s.httpLn, s.pprofLn} {
		if ln != nil {
			ln.Close()
		}
	}
}

// Shutdown stops accepting, says bye to every session, lets queued output
// flush (for at most the shutdown timeout, and no longer than ctx allows),
// and waits for everything it started to end. Calling it again waits for
// the first call and returns its result.
func (s *Server) Shutdown(ctx context.Context) error {
	s.shutdownOnce.Do(func() { s.shutdownErr = s.shutdown(ctx) })
	return s.shutdownErr
}

func (s *Server) shutdown(ctx context.Context) error {
	hctx, cancel := context.WithTimeout(ctx, s.cfg.ShutdownTimeout)
	defer cancel()
	s.tcpLn.Close()
	if s.tlsLn != nil {
		s.tlsLn.Close()
	}
	// The sessions first, with the whole budget: a stuck plain HTTP request
	// must not eat the time their goodbyes need. (From here the hub refuses
	// new WebSockets itself.)
	if err := s.hub.Shutdown(hctx); err != nil {
		s.log.Warn("shutdown: not every session flushed in time", "err", err)
	}
	if s.pprof != nil {
		s.pprof.Close() // a profile being taken is cut short
	}
	if s.http != nil {
		// Plain HTTP requests get a second to finish, then are cut;
		// upgraded WebSockets were the hub's and have ended.
		wctx, cancel := context.WithTimeout(ctx, time.Second)
		if s.http.Shutdown(wctx) != nil {
			s.http.Close()
		}
		cancel()
	}
	var err error
	for range s.running {
		err = errors.Join(err, <-s.errc)
	}
	s.tcp.Wait()
	s.ws.Wait()
	// Every session has ended: commit what is left, then close the store.
	s.hub.Close()
	if cerr := s.store.Close(); cerr != nil {
		err = errors.Join(err, fmt.Errorf("close store: %w", cerr))
	}
	s.log.Info("stopped")
	return err
}

// openStore opens the SQLite store at path (":memory:" keeps nothing).
func openStore(path string) (store.Store, error) {
	st, err := sqlite.Open(path)
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", path, err)
	}
	return st, nil
}

// Version is the running binary's module version, or "dev".
func Version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
