package web

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/solidarity-letters/solidarity/audit"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/i18n"
	"github.com/solidarity-letters/solidarity/letters"
)

// NamesPage is the queue of held names and cities.
type NamesPage struct {
	AdminPage
	List    ListState
	Pending int64
	Cards   []NameCard
	Legend  []Choice
}

// NameCard is a held signature as the queue shows it: what would be
// printed once approved, and what is printed meanwhile.
type NameCard struct {
	ID string
	// Name and City are shown when they are held (and City also when
	// only the name is, for context).
	Name, City string
	NameHeld   bool
	CityHeld   bool
	Country    string
	Display    string // how the supporter chose to have the name printed
	Meanwhile  string // what the letter prints until a decision
	NameFlags  []Choice
	CityFlags  []Choice
	Received   string
	Campaign   string
	Next       string
}

func (s *Server) nameQueue(c *fiber.Ctx) error {
	ctx := c.UserContext()
	t := s.localizer(c)
	st, cur, err := listState(c.Query("campaign"), c.Query("after"))
	if err != nil {
		return err
	}
	byID, all, err := s.filteredCampaigns(ctx, st.Campaign)
	if err != nil {
		return err
	}
	pending, err := s.deps.Moderation.PendingNameCounts(ctx)
	if err != nil {
		return err
	}
	p := NamesPage{AdminPage: s.adminPage(c, t.T("names.title"))}
	p.Pending = pendingIn(pending, st.Campaign)
	page, err := s.deps.Moderation.NameQueue(ctx, st.Campaign, cur, queuePage)
	if err != nil {
		return err
	}
	st.Options = filterOptions(t, all, pending)
	s.pageLinks(&st, "/admin/moderation/names", letters.Page{Next: page.Next})
	p.List = st
	for i, it := range page.Items {
		p.Cards = append(p.Cards, s.nameCard(t, it, byID, st.Campaign == ""))
		switch {
		case i+1 < len(page.Items):
			p.Cards[i].Next = page.Items[i+1].ID
		case i > 0:
			p.Cards[i].Next = page.Items[i-1].ID
		}
	}
	for _, f := range letters.Flags {
		if f == letters.FlagScript || f == letters.FlagDuplicate {
			continue // names are not checked for these
		}
		p.Legend = append(p.Legend, flagChoice(t, f))
	}
	return s.render(c, fiber.StatusOK, "admin/names", p)
}

func flagChoice(t *i18n.Localizer, f letters.Flag) Choice {
	return Choice{Value: string(f), Label: t.T("moderation.flag." + string(f)), Help: t.T("moderation.flag_help." + string(f))}
}

func (s *Server) nameCard(t *i18n.Localizer, it letters.NameItem, byID map[string]*campaign.Campaign, all bool) NameCard {
	loc := time.UTC
	title := ""
	if camp, ok := byID[it.CampaignID]; ok {
		loc, title = camp.Location(), camp.Title
	}
	countryName := s.deps.Countries.Name(t.Tag(), it.Country)
	display := it.Display
	if display == "" {
		display = campaign.NameFull
	}
	card := NameCard{
		ID: it.ID, Name: it.Name, City: it.City, NameHeld: it.Held.Name, CityHeld: it.Held.City,
		Country:  countryName,
		Display:  t.T("form.display." + string(display)),
		Received: t.T("moderation.received", "DateTime", t.DateTime(it.CreatedAt.In(loc))),
	}
	if all {
		card.Campaign = title
	}
	var meanwhile []string
	if it.Held.Name || display == campaign.NameCountry {
		meanwhile = append(meanwhile, t.T("safety.printed_as_country", "Country", countryName))
	} else {
		meanwhile = append(meanwhile, t.T("names.printed_name_as_chosen"))
	}
	if it.Held.City {
		meanwhile = append(meanwhile, t.T("names.city_left_off"))
	}
	card.Meanwhile = strings.Join(meanwhile, ", ")
	for _, f := range it.NameFlags {
		card.NameFlags = append(card.NameFlags, flagChoice(t, f))
	}
	for _, f := range it.CityFlags {
		card.CityFlags = append(card.CityFlags, flagChoice(t, f))
	}
	return card
}

// nameDecide approves or rejects a held name (and city).
func (s *Server) nameDecide(approve bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx := c.UserContext()
		decide, detail, done := s.deps.Moderation.RejectName, "rejected", "name_rejected"
		if approve {
			decide, detail, done = s.deps.Moderation.ApproveName, "approved", "name_approved"
		}
		it, err := decide(ctx, c.Params("id"))
		if err != nil {
			return s.decided(c, "/admin/moderation/names", "g-", err)
		}
		if err := s.recordGreeting(c, audit.NameDecided, it.CampaignID, detail); err != nil {
			return err
		}
		return s.backTo(c, "/admin/moderation/names", done, "g-")
	}
}
