package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/solidarity-letters/solidarity/account"
	"github.com/solidarity-letters/solidarity/audit"
)

const userUsage = `Usage:
  solidarity user add --email E --role admin|organizer|moderator|translator
  solidarity user list
  solidarity user disable --email E
  solidarity user enable --email E
  solidarity user passwd --email E
  solidarity user reset-2fa --email E   turn off a lost second factor

Passwords are read from the terminal without echo, or from the first line
of standard input when it is piped. The database is the one serve uses
(MONGODB_URI or the embedded one in SOLIDARITY_DATA_DIR); with the embedded
database, stop the server first.
`

// user runs the account subcommands.
func user(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, userUsage)
		return errors.New("user: missing subcommand")
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "add", "list", "disable", "enable", "passwd", "reset-2fa":
	default:
		fmt.Fprint(stderr, userUsage)
		return fmt.Errorf("user: unknown subcommand %q", sub)
	}
	fs := flag.NewFlagSet("user "+sub, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	email := fs.String("email", "", "account email address")
	role := fs.String("role", "", "admin, organizer, moderator or translator")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("user %s: %w", sub, err)
	}
	needEmail := sub != "list"
	if needEmail && *email == "" {
		return fmt.Errorf("user %s: --email is required", sub)
	}

	a, done, err := openApp(ctx, getenv, stderr)
	if err != nil {
		return err
	}
	defer done()
	if err := a.Migrate(ctx); err != nil {
		return err
	}
	store, accounts, log := a.Users, a.Accounts, a.Audit

	switch sub {
	case "add":
		r, err := account.ParseRole(*role)
		if err != nil {
			return fmt.Errorf("user add: %w", err)
		}
		pw, err := readPassword(stdin, stderr)
		if err != nil {
			return err
		}
		u, err := accounts.AddUser(ctx, *email, r, pw)
		if err != nil {
			return fmt.Errorf("user add: %w", err)
		}
		fmt.Fprintf(stdout, "added %s (%s)\n", u.Email, u.Role)
		return log.Record(ctx, "cli", audit.UserAdded, u.Email, string(u.Role))
	case "list":
		users, err := store.Users(ctx)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "EMAIL\tROLE\tSTATUS\tCREATED")
		for _, u := range users {
			status := "active"
			if u.Disabled {
				status = "disabled"
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", u.Email, u.Role, status, u.CreatedAt.Format(time.DateOnly))
		}
		return w.Flush()
	case "disable", "enable":
		if err := accounts.SetDisabled(ctx, *email, sub == "disable"); err != nil {
			return fmt.Errorf("user %s: %w", sub, err)
		}
		fmt.Fprintf(stdout, "%sd %s\n", sub, *email)
		return log.Record(ctx, "cli", audit.UserChanged, *email, sub+"d")
	case "passwd":
		pw, err := readPassword(stdin, stderr)
		if err != nil {
			return err
		}
		if err := accounts.SetPassword(ctx, *email, pw); err != nil {
			return fmt.Errorf("user passwd: %w", err)
		}
		fmt.Fprintf(stdout, "changed the password of %s; their sessions are ended\n", *email)
		return log.Record(ctx, "cli", audit.PasswordChanged, *email, "set on the command line")
	case "reset-2fa":
		if err := accounts.ResetTwoFactor(ctx, *email); err != nil {
			return fmt.Errorf("user reset-2fa: %w", err)
		}
		fmt.Fprintf(stdout, "turned off the second factor of %s; their sessions are ended\n", *email)
		return log.Record(ctx, "cli", audit.TwoFactorReset, *email, "")
	}
	return nil
}

// readPassword reads a new password: twice without echo from a terminal,
// or the first line of piped input.
func readPassword(stdin io.Reader, stderr io.Writer) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprintf(stderr, "New password (%d to %d characters): ", account.PasswordMin, account.PasswordMax)
		a, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		fmt.Fprint(stderr, "Again: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if string(a) != string(b) {
			return "", errors.New("the two passwords differ")
		}
		return string(a), account.CheckPassword(string(a))
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	return pw, account.CheckPassword(pw)
}
