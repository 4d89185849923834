package bench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/solidarity-letters/solidarity/app"
	"github.com/solidarity-letters/solidarity/campaign/abuse"
	"github.com/solidarity-letters/solidarity/internal/database"
	"github.com/solidarity-letters/solidarity/internal/keys"
	"github.com/solidarity-letters/solidarity/web"
)

// service is solidarity running in this process on the bench's embedded
// database, as serve runs it, bound to 127.0.0.1 on a free port.
type service struct {
	app    *app.App
	keys   keys.Keys
	db     *database.DB
	srv    *web.Server
	base   string // http://127.0.0.1:port
	served chan error
	loops  chan error
	stop   context.CancelFunc
}

// startService opens the database in dataDir with the root secret,
// prepares the application and serves it.
func startService(ctx context.Context, dataDir, secret string, minFill time.Duration, logger *slog.Logger) (_ *service, err error) {
	ks, err := keys.Load(keys.Options{Secret: secret, DataDir: dataDir, Getenv: func(string) string { return "" }, Now: time.Now})
	if err != nil {
		return nil, err
	}
	db, err := database.Open(ctx, database.Options{DataDir: dataDir})
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			db.Close(context.WithoutCancel(ctx))
		}
	}()
	if err := keys.Check(ctx, db.Database, ks, time.Now()); err != nil {
		return nil, err
	}
	a, err := app.New(db, ks, app.Options{Logger: logger})
	if err != nil {
		return nil, err
	}
	if err := a.Prepare(ctx); err != nil {
		return nil, err
	}
	// The load comes from 127.0.0.1 as from a proxy, with many client
	// addresses in X-Forwarded-For, so that per-client limits see many
	// clients, as on a real site.
	// The bench's steady flood is what the abuse defences are for: they
	// would ask every signer for a proof of work. It measures the
	// capacity to store signatures, so their thresholds are out of reach;
	// checking a proof of work costs one hash.
	srv, err := a.Web(web.Config{TrustedProxies: []string{"127.0.0.1"}, MinFillTime: minFill, Abuse: abuse.NeverAsk()})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	loopsCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	s := &service{app: a, keys: ks, db: db, srv: srv, base: "http://" + ln.Addr().String(),
		served: make(chan error, 1), loops: make(chan error, 1), stop: stop}
	go func() { s.loops <- a.Run(loopsCtx) }()
	go func() { s.served <- srv.Serve(ln) }()
	return s, nil
}

// close stops the service in serve's order: the web server, the
// background loops, the database.
func (s *service) close(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	err = errors.Join(err, <-s.served)
	s.stop()
	err = errors.Join(err, <-s.loops, s.db.Close(ctx))
	if err != nil {
		return fmt.Errorf("stop the service: %w", err)
	}
	return nil
}

// child runs the solidarity binary on the bench's folder.
type child struct {
	exe     string // the solidarity binary
	dataDir string
	secret  string
}

// command is `solidarity args...` with the settings of the bench's
// database; the rest of the environment is this process's.
func (c child) command(ctx context.Context, addr string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, c.exe, args...)
	cmd.Env = append(os.Environ(),
		"MONGODB_URI=", "SOLIDARITY_DATA_DIR="+c.dataDir, "SOLIDARITY_SECRET="+c.secret,
		"SOLIDARITY_SECRET_FILE=", "SOLIDARITY_DEMO=false", "SOLIDARITY_LOG_LEVEL=warn",
		"SOLIDARITY_ADMIN_EMAIL=", "SOLIDARITY_ADMIN_PASSWORD=", "SOLIDARITY_PPROF_ADDR=",
		"SOLIDARITY_ADDR="+addr)
	cmd.WaitDelay = 10 * time.Second
	return cmd
}

// startUp starts `solidarity serve` on the bench's folder and returns how
// long it took until /readyz answered 200; the server is stopped after.
func (c child) startUp(ctx context.Context, limit time.Duration) (time.Duration, error) {
	port, err := freePort()
	if err != nil {
		return 0, err
	}
	addr := net.JoinHostPort("127.0.0.1", fmt.Sprint(port))
	ctx, cancel := context.WithTimeout(ctx, limit+30*time.Second)
	defer cancel()
	cmd := c.command(ctx, addr, "serve")
	cmd.Stderr, cmd.Stdout = &tail{}, &tail{}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("start serve: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	client := &http.Client{Timeout: 5 * time.Second}
	ready := time.Duration(0)
	for ready == 0 {
		select {
		case err := <-exited:
			return 0, fmt.Errorf("serve exited before it was ready: %v: %s", err, cmd.Stderr)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Since(start) > limit {
			break
		}
		if res, err := client.Get("http://" + addr + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				ready = time.Since(start)
			}
		}
	}
	client.CloseIdleConnections()
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		return 0, fmt.Errorf("stop serve: %w", err)
	}
	if err := <-exited; err != nil {
		return ready, fmt.Errorf("serve: %w: %s", err, cmd.Stderr)
	}
	if ready == 0 {
		return 0, fmt.Errorf("serve was not ready within %s", limit)
	}
	return ready, nil
}

// bundle runs `solidarity bundle` for the campaign with that slug and
// returns its time and its peak resident memory; extra are more flags.
func (c child) bundle(ctx context.Context, slug, dir string, limit time.Duration, extra ...string) (time.Duration, int64, error) {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	out := filepath.Join(dir, "bundle.zip")
	args := append([]string{"bundle", "--campaign", slug, "--out", out}, extra...)
	cmd := c.command(ctx, "127.0.0.1:0", args...)
	cmd.Stderr, cmd.Stdout = &tail{}, &tail{}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, fmt.Errorf("bundle: %w", err)
	}
	peak := watchPeak(cmd.Process.Pid)
	err := cmd.Wait()
	took := time.Since(start)
	rss := peak(cmd.ProcessState)
	if err != nil {
		return took, 0, fmt.Errorf("bundle: %w: %s", err, cmd.Stderr)
	}
	os.Remove(out)
	return took, rss, nil
}

// freePort asks the system for a port free on 127.0.0.1.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// tail keeps the last few KB a child wrote, for error messages.
type tail struct{ b []byte }

func (t *tail) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if n := len(t.b); n > 4096 {
		t.b = t.b[n-4096:]
	}
	return len(p), nil
}

func (t *tail) String() string { return string(t.b) }
