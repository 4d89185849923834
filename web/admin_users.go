package web

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/solidarity-letters/solidarity/account"
	"github.com/solidarity-letters/solidarity/audit"
)

// UsersPage lists accounts and has the form to add one.
type UsersPage struct {
	AdminPage
	Users  []account.User
	Roles  []account.Role
	Form   UserForm
	Errors map[string]string
	// TwoFactorRequired is the setting that makes admins and organizers
	// use a second factor.
	TwoFactorRequired bool
}

// AddProblems are the add-user form's problems in form order, for its
// error summary.
func (p UsersPage) AddProblems() []FieldProblem {
	return fieldProblems(p.Errors, "email", "role", "password")
}

// ResetProblems are the password-reset form's problems, for its error
// summary (its password field is f-reset-password).
func (p UsersPage) ResetProblems() []FieldProblem {
	if msg := p.Errors["reset"]; msg != "" {
		return []FieldProblem{{Field: "reset-password", Message: msg}}
	}
	return nil
}

// fieldProblems lists the messages of errs for fields, in that order.
func fieldProblems(errs map[string]string, fields ...string) []FieldProblem {
	var out []FieldProblem
	for _, f := range fields {
		if msg := errs[f]; msg != "" {
			out = append(out, FieldProblem{Field: f, Message: msg})
		}
	}
	return out
}

// UserForm is the add-user form as typed.
type UserForm struct {
	Email string
	Role  string
}

func (s *Server) usersPage(c *fiber.Ctx) error {
	return s.renderUsers(c, fiber.StatusOK, UserForm{Role: string(account.RoleModerator)}, nil)
}

func (s *Server) renderUsers(c *fiber.Ctx, status int, form UserForm, problems map[string]string) error {
	users, err := s.deps.Accounts.Users(c.UserContext())
	if err != nil {
		return err
	}
	required, err := s.deps.Accounts.TwoFactorRequired(c.UserContext())
	if err != nil {
		return err
	}
	p := UsersPage{AdminPage: s.adminPage(c, s.localizer(c).T("admin.users.title")), Users: users,
		Roles: account.Roles(), Form: form, Errors: problems, TwoFactorRequired: required}
	return s.render(c, status, "admin/users", p)
}

func (s *Server) addUser(c *fiber.Ctx) error {
	t := s.localizer(c)
	form := UserForm{Email: formValue(c, "email"), Role: formValue(c, "role")}
	problems := map[string]string{}
	role, err := account.ParseRole(form.Role)
	if err != nil {
		problems["role"] = t.T("admin.users.error.role")
	}
	if _, err := account.NormalizeEmail(form.Email); err != nil {
		problems["email"] = t.T("admin.users.error.email")
	}
	password := formValue(c, "password")
	if err := account.CheckPassword(password); err != nil {
		problems["password"] = t.N("admin.users.error.password", account.PasswordMax, "Min", t.Number(account.PasswordMin))
	}
	if len(problems) == 0 {
		u, err := s.deps.Accounts.InviteUser(c.UserContext(), form.Email, role, password)
		switch {
		case errors.Is(err, account.ErrDuplicate):
			problems["email"] = t.T("admin.users.error.taken")
		case err != nil:
			return err
		default:
			if err := s.record(c, audit.UserAdded, u.Email, string(u.Role)); err != nil {
				return err
			}
			return c.Redirect("/admin/users?done=user_added", fiber.StatusSeeOther)
		}
	}
	return s.renderUsers(c, fiber.StatusUnprocessableEntity, form, problems)
}

func (s *Server) setUserDisabled(disabled bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		email := formValue(c, "email")
		if u := currentUser(c); u != nil && u.Email == email && disabled {
			return fiber.NewError(fiber.StatusUnprocessableEntity, "you cannot disable your own account")
		}
		if err := s.deps.Accounts.SetDisabled(c.UserContext(), email, disabled); err != nil {
			if errors.Is(err, account.ErrNotFound) {
				return fiber.ErrNotFound
			}
			return err
		}
		what := "enabled"
		if disabled {
			what = "disabled"
		}
		if err := s.record(c, audit.UserChanged, email, what); err != nil {
			return err
		}
		return c.Redirect("/admin/users?done=user_"+what, fiber.StatusSeeOther)
	}
}

func (s *Server) setUserPassword(c *fiber.Ctx) error {
	t := s.localizer(c)
	email := formValue(c, "email")
	err := s.deps.Accounts.ResetPassword(c.UserContext(), email, formValue(c, "password"))
	switch {
	case errors.Is(err, account.ErrWeakPassword):
		return s.renderUsers(c, fiber.StatusUnprocessableEntity, UserForm{Role: string(account.RoleModerator)},
			map[string]string{"reset": t.N("admin.users.error.password", account.PasswordMax, "Min", t.Number(account.PasswordMin))})
	case errors.Is(err, account.ErrNotFound):
		return fiber.ErrNotFound
	case err != nil:
		return err
	}
	if err := s.record(c, audit.PasswordChanged, email, "set by an admin"); err != nil {
		return err
	}
	return c.Redirect("/admin/users?done=password_changed", fiber.StatusSeeOther)
}

// AuditPage shows the audit log, newest first.
type AuditPage struct {
	AdminPage
	Entries []AuditRow
	Older   string // the ?before= of the next page, empty on the last
}

// AuditRow is one entry as shown.
type AuditRow struct {
	At     string
	Actor  string
	Action string
	Target string
	Detail string
}

// auditPageSize is how many entries one page of the audit log shows.
const auditPageSize = 100

func (s *Server) auditPage(c *fiber.Ctx) error {
	from, err := audit.ParseCursor(c.Query("before"))
	if err != nil {
		return fiber.NewError(fiber.StatusBadRequest, "bad page")
	}
	entries, older, err := s.deps.Audit.Page(c.UserContext(), from, auditPageSize)
	if err != nil {
		return err
	}
	t := s.localizer(c)
	p := AuditPage{AdminPage: s.adminPage(c, t.T("admin.audit.title"))}
	for _, e := range entries {
		p.Entries = append(p.Entries, AuditRow{At: e.At.Format("2006-01-02 15:04:05 UTC"), Actor: e.Actor,
			Action: t.T("admin.audit.action." + string(e.Action)), Target: e.Target, Detail: e.Detail})
	}
	p.Older = older.String()
	return s.render(c, fiber.StatusOK, "admin/audit", p)
}
