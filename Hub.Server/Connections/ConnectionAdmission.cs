using System.Threading.RateLimiting;
using Hub.Server.Core;
using Hub.Server.Limits;
using Microsoft.Extensions.Options;

namespace Hub.Server.Connections;

/// <summary>
/// Whether this node takes a new connection, one answer for every way in (HTTP, WebSocket, TCP):
/// none once it is stopping (a client that reconnects at once must land elsewhere, not on a
/// connection that would hold the shutdown open), none while the node is not ready (its Redis
/// away): the connection would fail at its first step, and SignalR closes a connection that
/// failed there for good, so its client would not come back; none past
/// <c>Hub:Limits:MaxConnections</c>; and none beyond <c>Hub:Limits:ConnectsPerSecond</c>, so that
/// the clients of a node that died, all coming back at once, cost the connections a node already
/// holds a bounded share of its time: each refused one retries after the hint, at random.
/// </summary>
internal sealed class ConnectionAdmission : IDisposable
{
    /// <summary>What every refusal asks its client to wait before it tries again (Retry-After, seconds).</summary>
    public const int RetryAfterSeconds = 1;

    private readonly ConnectionRegistry _connections;
    private readonly ClusterReadiness _readiness;
    private readonly LimitsOptions _limits;
    private readonly HubMetrics _metrics;
    private readonly IHostApplicationLifetime _lifetime;

    // A second's worth at most, refilled from the elapsed time at each take (no timer); none when unlimited.
    private readonly TokenBucketRateLimiter? _connects;

    public ConnectionAdmission(ConnectionRegistry connections, ClusterReadiness readiness, IOptions<LimitsOptions> limits, HubMetrics metrics, IHostApplicationLifetime lifetime)
    {
        (_connections, _readiness, _limits, _metrics, _lifetime) = (connections, readiness, limits.Value, metrics, lifetime);
        if (_limits.ConnectsPerSecond > 0)
        {
            _connects = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
            {
                TokenLimit = _limits.ConnectsPerSecond,
                TokensPerPeriod = _limits.ConnectsPerSecond,
                ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                AutoReplenishment = false,
                QueueLimit = 0,
            });
        }
    }

    /// <summary>
    /// Why a request is refused, said to its client; null when it is welcome, and then, when it
    /// starts a connection, it has taken its place in this second's connects. Requests of a
    /// connection already open (long polling, SSE posts) count against no limit, only the stop.
    /// A refusal is counted only where it is answered (<paramref name="answered"/>): a direct
    /// WebSocket upgrade refused is answered by HTTP, which asks again.
    /// </summary>
    public AdmissionRefusal? Refusal(bool startsConnection = true, bool answered = true)
    {
        var refusal = Check(startsConnection);
        if (refusal is not null && answered)
        {
            _metrics.ConnectionRefused(refusal.Reason);
        }

        return refusal;
    }

    public void Dispose() => _connects?.Dispose();

    private AdmissionRefusal? Check(bool startsConnection)
    {
        if (_lifetime.ApplicationStopping.IsCancellationRequested)
        {
            return new("stopping", "The node is shutting down; connect to another node.");
        }

        if (!startsConnection)
        {
            return null;
        }

        if (_readiness.NotReadyReason is { } notReady)
        {
            return new("not_ready", notReady);
        }

        var max = _limits.MaxConnections;
        if (max > 0 && _connections.Count >= max)
        {
            return new("max_connections", $"This node holds {_connections.Count} connections, its limit (Hub:Limits:MaxConnections); connect to another node.");
        }

        // 429, not 503: the node is well, only busy for a moment, and a balancer that takes a 503
        // for a failed node (nginx's max_fails, an outlier detection) must not shut it out.
        return _connects is null || TakeConnect(_connects)
            ? null
            : new("connect_rate", $"This node admits at most {_limits.ConnectsPerSecond} new connections per second (Hub:Limits:ConnectsPerSecond); try again in a moment.",
                StatusCodes.Status429TooManyRequests);
    }

    private static bool TakeConnect(TokenBucketRateLimiter bucket)
    {
        bucket.TryReplenish();
        using var lease = bucket.AttemptAcquire();
        return lease.IsAcquired;
    }
}

/// <summary>
/// Why a new connection is refused: the reason counted in <c>hub.connections.refused</c>, the
/// message its client is told, and the HTTP status it is told with (with <c>Retry-After</c>).
/// </summary>
internal sealed record AdmissionRefusal(string Reason, string Message, int StatusCode = StatusCodes.Status503ServiceUnavailable);
