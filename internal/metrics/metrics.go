// Package metrics keeps solidarity's Prometheus metrics: one registry,
// made by the serve command and handed down, never the library's global
// default registry.
//
// Every label holds a value from a small, fixed set (a route's template,
// a method, a status code, a job's or command's name) or a campaign's
// slug, which is public anyway: never a name, an email address, a
// greeting or a network address. A nil *Metrics is valid and records
// nothing, so that code that is handed none (metrics off, most tests)
// calls it all the same.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Path is where the metrics listener serves the metrics.
const Path = "/metrics"

// OtherRoute is the route label of a request no route matched.
const OtherRoute = "other"

// Metrics are the application's metrics in one registry.
type Metrics struct {
	reg *prometheus.Registry

	requests     *prometheus.CounterVec
	requestTime  *prometheus.HistogramVec
	signTime     *prometheus.HistogramVec
	batchSize    *prometheus.HistogramVec
	jobTime      *prometheus.HistogramVec
	jobFailures  *prometheus.CounterVec
	queueDepth   *prometheus.GaugeVec
	dbTime       *prometheus.HistogramVec
	dbFailures   *prometheus.CounterVec
	queueCounted prometheus.Gauge
}

// latencyBuckets suit requests and database commands: 1 ms to 10 s.
var latencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// jobBuckets suit background jobs: 10 ms to 10 minutes.
var jobBuckets = []float64{.01, .05, .1, .5, 1, 5, 10, 30, 60, 300, 600}

// batchBuckets suit group-commit batches of up to 256 writes.
var batchBuckets = []float64{1, 2, 4, 8, 16, 32, 64, 128, 256}

// New returns the metrics in a registry of their own, with the Go
// runtime's and the process's collectors.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		reg: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "solidarity_http_requests_total",
			Help: "HTTP requests answered, by route template, method and status code.",
		}, []string{"route", "method", "status"}),
		requestTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "solidarity_http_request_duration_seconds",
			Help:    "Time from a request's arrival to its answer, by route template and method.",
			Buckets: latencyBuckets,
		}, []string{"route", "method"}),
		signTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "solidarity_sign_duration_seconds",
			Help:    "Time from a signature's post to its answer, by way of signing (form, embed, api) and outcome (signed, refused, failed).",
			Buckets: latencyBuckets,
		}, []string{"via", "outcome"}),
		batchSize: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "solidarity_write_batch_size",
			Help:    "Documents written together by one group commit, by kind (signatures, pending_signatures).",
			Buckets: batchBuckets,
		}, []string{"kind"}),
		jobTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "solidarity_job_duration_seconds",
			Help:    "Time one run of a background job took, by job.",
			Buckets: jobBuckets,
		}, []string{"job"}),
		jobFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "solidarity_job_failures_total",
			Help: "Runs of a background job that failed, by job.",
		}, []string{"job"}),
		queueDepth: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "solidarity_queue_depth",
			Help: "Jobs and messages in a queue by state, as last counted (every 30 s).",
		}, []string{"queue", "state"}),
		queueCounted: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "solidarity_queue_depth_counted_timestamp_seconds",
			Help: "When the queues were last counted (Unix time); 0 before the first count.",
		}),
		dbTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "solidarity_db_command_duration_seconds",
			Help:    "Time of the database commands this node sent, by command name.",
			Buckets: latencyBuckets,
		}, []string{"command"}),
		dbFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "solidarity_db_command_failures_total",
			Help: "Database commands that failed, by command name.",
		}, []string{"command"}),
	}
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.requestTime, m.signTime, m.batchSize, m.jobTime, m.jobFailures,
		m.queueDepth, m.queueCounted, m.dbTime, m.dbFailures,
	)
	return m
}

// Handler serves the registry in Prometheus's text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Registry is the registry that holds the metrics, for tests that read
// them without HTTP.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// methods are the method labels; any other method is "other".
var methods = map[string]string{
	http.MethodGet: http.MethodGet, http.MethodHead: http.MethodHead, http.MethodPost: http.MethodPost,
	http.MethodOptions: http.MethodOptions, http.MethodPut: http.MethodPut, http.MethodDelete: http.MethodDelete,
	http.MethodPatch: http.MethodPatch,
}

// Request records an answered request. route must be a route's template
// (such as /c/:slug) or OtherRoute, never the requested path.
func (m *Metrics) Request(route, method string, status int, took time.Duration) {
	if m == nil {
		return
	}
	meth, ok := methods[method]
	if !ok {
		meth = "other"
	}
	m.requests.WithLabelValues(route, meth, strconv.Itoa(status)).Inc()
	m.requestTime.WithLabelValues(route, meth).Observe(took.Seconds())
}

// Sign records how long a signature's post took to answer; via is form,
// embed or api, outcome signed, refused (a 4xx) or failed (a 5xx).
func (m *Metrics) Sign(via, outcome string, took time.Duration) {
	if m == nil {
		return
	}
	m.signTime.WithLabelValues(via, outcome).Observe(took.Seconds())
}

// Batch records the size of one group commit of kind.
func (m *Metrics) Batch(kind string, size int) {
	if m == nil {
		return
	}
	m.batchSize.WithLabelValues(kind).Observe(float64(size))
}

// BatchObserver returns Batch for one kind, or nil when m is nil.
func (m *Metrics) BatchObserver() func(kind string, size int) {
	if m == nil {
		return nil
	}
	return m.Batch
}

// Job records one run of a background job and whether it failed.
func (m *Metrics) Job(job string, took time.Duration, err error) {
	if m == nil {
		return
	}
	m.jobTime.WithLabelValues(job).Observe(took.Seconds())
	if err != nil {
		m.jobFailures.WithLabelValues(job).Inc()
	}
}

// JobObserver returns Job, or nil when m is nil.
func (m *Metrics) JobObserver() func(job string, took time.Duration, err error) {
	if m == nil {
		return nil
	}
	return m.Job
}

// QueueDepth sets how many jobs or messages of queue are in state.
func (m *Metrics) QueueDepth(queue, state string, n int64) {
	if m == nil {
		return
	}
	m.queueDepth.WithLabelValues(queue, state).Set(float64(n))
}

// QueuesCounted records that the queues were counted at t.
func (m *Metrics) QueuesCounted(t time.Time) {
	if m == nil {
		return
	}
	m.queueCounted.Set(float64(t.Unix()))
}
