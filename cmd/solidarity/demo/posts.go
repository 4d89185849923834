package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/solidarity-letters/solidarity/letters/posts"
)

// demoNote opens every demo post: the texts retell, in the software
// authors' words, facts that were reported in public; they are not the
// prisoner's own words, and no page may pass them off as such.
const demoNote = "*Demo text for trying the software: a retelling of public reports in our own words, not his letter.*\n\n"

// replyPost is the slug of the demo letter that answers the closed
// campaign ("Colour postcards back from Babruysk"); its delivery log's
// reply links it.
const replyPost = "colour-postcards-back-from-babruysk"

// demoPosts are the demo letters and news, oldest first.
func demoPosts(campaignID string) []posts.Input {
	return []posts.Input{
		{
			Title: "Paris, Paris… but I return home", Kind: string(posts.KindFrom),
			WrittenOn: "2012-12-02", WrittenAt: "Babruysk", ReceivedOn: "2012-12-20", ReceivedBy: string(posts.ByFamily),
			Excerpt: "From the colony in Babruysk, Ales remembers the last meeting of the FIDH board he could attend, in the summer of 2011, and the colleagues who risk their lives defending civilians.",
			Body: demoNote + "In his letter Ales goes back to June 2011, when the international board of FIDH met for one of its three sessions of the year. " +
				"Colleagues came from every continent to talk about the places where defending people's rights is most dangerous.\n\n" +
				"> He writes that he thinks of them often, and that the work goes on without him for now.\n\n" +
				"He ends by saying that however far his thoughts travel, he always comes back home.",
			Tags: "fidh, babruysk",
		},
		{
			Title: "Postcards for the New Year", Kind: string(posts.KindTo),
			WrittenOn: "2012-12-21", WrittenAt: "Baranavichy",
			Excerpt: "Human rights defenders in Baranavichy sent New Year and Christmas cards to Ales and to every political prisoner they could write to.",
			Body: demoNote + "On 21 December a group in Baranavichy posted cards to the political prisoners. " +
				"They wished Ales good health, optimism and faith in a better future, and hoped that \"the sun will peep in his window\" soon.\n\n" +
				"Above all they wished that the hope every prisoner shares, to be free, would come true in the new year.",
			Tags: "new year",
		},
		{
			Title: "Colour postcards back from Babruysk", Kind: string(posts.KindFrom),
			WrittenOn: "2013-01-04", WrittenAt: "Babruysk", ReceivedOn: "2013-01-15", ReceivedBy: string(posts.ByPost),
			Excerpt: "Ales answered the Baranavichy group's cards with colour postcards of his own, and thanked them for the support that reaches him behind the fence.",
			Body: demoNote + "Ales answered every card from Baranavichy. His colour postcards wished the human rights defenders and activists of the town a happy New Year and Christmas.\n\n" +
				"He thanked them for their moral support: each letter, he wrote, is proof that he is not forgotten.",
			Tags: "new year, replies", CampaignID: campaignID,
		},
		{
			Title: "Honorary citizen of Paris", Kind: string(posts.KindNews),
			WrittenOn: "2013-01-10",
			Excerpt:   "His son read Ales's words at Paris City Hall when the city made him an honorary citizen.",
			Body: demoNote + "On 10 December Paris made Ales an honorary citizen. At the ceremony in the City Hall his son read a message his father had sent from the penitentiary in Babruysk.\n\n" +
				"Ales thanked the Council of Paris, the Mayor and the councillors of the 11th arrondissement, who proposed it. " +
				"He called such honours an advance on what is still to be done, and a signal to people of good and bad will in Belarus.",
			Tags: "paris",
		},
	}
}

// seedPosts writes and publishes the demo posts about the recipient,
// one of them in reply to the closed campaign.
func (s *Seeder) seedPosts(ctx context.Context, recipientID, campaignID string) error {
	// The service checks the recipient and campaign in its memory, which
	// the seed wrote behind its back.
	if err := s.Campaigns.LoadCampaigns(ctx); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	for _, in := range demoPosts(campaignID) {
		in.Lang, in.RecipientID = "en", recipientID
		if in.Kind == string(posts.KindFrom) {
			in.Consent, in.ConsentBy = true, "Demo data: the facts were reported in public"
		}
		p, err := s.Posts.Create(ctx, in)
		if err != nil {
			return fmt.Errorf("demo post %q: %w", in.Title, err)
		}
		if _, err := s.Posts.Publish(ctx, p.ID, p.Version, time.Time{}, "demo"); err != nil {
			return fmt.Errorf("demo post %q: %w", in.Title, err)
		}
	}
	return nil
}
