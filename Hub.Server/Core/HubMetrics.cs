using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.Http.Connections.Features;
using Microsoft.AspNetCore.Http.Features;

namespace Hub.Server.Core;

/// <summary>
/// Hub's own instruments, under the names of the contract. The Prometheus exporter renders them
/// as hub_connections, hub_messages_published_total, hub_backplane_publish_duration_seconds, ….
/// </summary>
internal sealed class HubMetrics
{
    public const string MeterName = "Hub";

    private readonly UpDownCounter<long> _connections;
    private readonly Counter<long> _published;
    private readonly Counter<long> _delivered;
    private readonly Histogram<double> _backplaneLag;
    private readonly Histogram<double> _publishDuration;
    private readonly Counter<long> _rejected;
    private readonly Counter<long> _recovery;
    private readonly Counter<long> _connectionsRefused;
    private readonly TimeProvider _time;

    public HubMetrics(IMeterFactory meterFactory, TimeProvider time)
    {
        _time = time;
        var meter = meterFactory.Create(MeterName);
        _connections = meter.CreateUpDownCounter<long>("hub.connections", "{connection}",
            "Connections open on this node, by transport (web_sockets, server_sent_events, long_polling, tcp).");
        _published = meter.CreateCounter<long>("hub.messages.published", "{message}", "Messages accepted by this node, by kind (all, connection, user, group).");
        _delivered = meter.CreateCounter<long>("hub.messages.delivered", "{message}",
            "Messages from the bus this node handed to the delivery to its own connections, by kind (once per message and node, whatever the number of local recipients, none included).");
        _backplaneLag = meter.CreateHistogram<double>("hub.backplane.lag", "s",
            "Time from a message's acceptance (its sentAt, on the accepting node's clock) to this node taking it from the bus for its own connections, by kind: " +
            "how far behind the bus this node's delivery runs (clock skew between machines included).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
        _publishDuration = meter.CreateHistogram<double>("hub.backplane.publish.duration", "s",
            "Time to hand a message to the backplane (offset, history and publish in one step).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5] });
        _rejected = meter.CreateCounter<long>("hub.calls.rejected", "{call}", "Hub calls and API requests refused, by reason.");
        _recovery = meter.CreateCounter<long>("hub.recovery", "{stream}", "Streams resumed after a reconnect, by result (recovered, lost).");
        _connectionsRefused = meter.CreateCounter<long>("hub.connections.refused", "{connection}",
            "New connections this node refused, by reason (stopping, not_ready, max_connections, connect_rate).");
    }

    public void ConnectionOpened(IFeatureCollection features) => _connections.Add(1, Transport(features));

    public void ConnectionClosed(IFeatureCollection features) => _connections.Add(-1, Transport(features));

    public void Published(string kind, TimeSpan duration)
    {
        _published.Add(1, new KeyValuePair<string, object?>("kind", kind));
        _publishDuration.Record(duration.TotalSeconds);
    }

    /// <summary>A message of <paramref name="kind"/>, accepted at <paramref name="sentAt"/>, taken from the bus for this node's connections.</summary>
    public void Delivered(string kind, DateTime sentAt)
    {
        var tag = new KeyValuePair<string, object?>("kind", kind);
        _delivered.Add(1, tag);

        // Another machine's clock may run ahead of this one's: a message cannot arrive before it was sent.
        _backplaneLag.Record(Math.Max(0, (_time.GetUtcNow().UtcDateTime - sentAt).TotalSeconds), tag);
    }

    public void Rejected(string reason) => _rejected.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void ConnectionRefused(string reason) => _connectionsRefused.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void Resumed(bool recovered) => _recovery.Add(1, new KeyValuePair<string, object?>("result", recovered ? "recovered" : "lost"));

    // SignalR's own transports say which they are; the others are Hub's: a WebSocket served
    // directly (it has a transfer format) or the TCP endpoint. Names as SignalR's meter has them.
    private static KeyValuePair<string, object?> Transport(IFeatureCollection features) => new("transport",
        features.Get<IHttpTransportFeature>()?.TransportType switch
        {
            HttpTransportType.ServerSentEvents => "server_sent_events",
            HttpTransportType.LongPolling => "long_polling",
            HttpTransportType.WebSockets => "web_sockets",
            _ => features.Get<ITransferFormatFeature>() is null ? "tcp" : "web_sockets",
        });
}
