package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
)

// CampaignCounts reads, at each scrape, every campaign's slug and count of
// signatures from memory (no database read) by calling each with them.
type CampaignCounts func(each func(slug string, signatures int64))

// countsCollector turns CampaignCounts into one gauge per campaign.
type countsCollector struct {
	desc *prometheus.Desc
	read CampaignCounts
}

// Describe implements prometheus.Collector.
func (c countsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect implements prometheus.Collector.
func (c countsCollector) Collect(ch chan<- prometheus.Metric) {
	c.read(func(slug string, n int64) {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n), slug)
	})
}

// WatchCampaigns registers read as the source of
// solidarity_campaign_signatures. Call it once.
func (m *Metrics) WatchCampaigns(read CampaignCounts) error {
	if m == nil {
		return nil
	}
	return m.reg.Register(countsCollector{
		desc: prometheus.NewDesc("solidarity_campaign_signatures",
			"Signatures a campaign counts, as this node holds them in memory, by campaign slug.",
			[]string{"campaign"}, nil),
		read: read,
	})
}
