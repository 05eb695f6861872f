using System.Diagnostics.Metrics;
using Hub.Server.Core;

namespace Hub.Server.Upstream;

/// <summary>
/// How the application's backend answers, among Hub's instruments: <c>hub_upstream_requests_total</c>
/// by event and outcome, and <c>hub_upstream_duration_seconds</c> by event.
/// </summary>
internal sealed class UpstreamMetrics
{
    private readonly Counter<long> _events;
    private readonly Histogram<double> _duration;

    public UpstreamMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(HubMetrics.MeterName);
        _events = meter.CreateCounter<long>("hub.upstream.requests", "{event}",
            "Events the application's backend was asked about, by event and outcome (allowed, refused, unavailable, invalid: an answer Hub cannot follow); an open circuit's events count as unavailable.");
        _duration = meter.CreateHistogram<double>("hub.upstream.duration", "s",
            "Time to the backend's answer, or to giving up on it, by event; a disconnect's retries included.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
    }

    public void Answered(string @event, UpstreamOutcome outcome) =>
        _events.Add(1, new KeyValuePair<string, object?>("event", @event), new KeyValuePair<string, object?>("outcome", Name(outcome)));

    public void Took(string @event, TimeSpan elapsed) => _duration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("event", @event));

    private static string Name(UpstreamOutcome outcome) => outcome switch
    {
        UpstreamOutcome.Allowed => "allowed",
        UpstreamOutcome.Refused => "refused",
        UpstreamOutcome.Unavailable => "unavailable",
        _ => "invalid",
    };
}
