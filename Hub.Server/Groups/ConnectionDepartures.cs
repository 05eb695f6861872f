using System.Collections.Concurrent;
using System.Diagnostics;
using Hub.Server.Backplane;
using Hub.Server.Core;
using Hub.Server.Presence;

namespace Hub.Server.Groups;

/// <summary>
/// A connection's departure from the cluster: out of presence, and <c>MemberLeft</c> to the other
/// members of its groups on every node — when it closes on this node, when it closed while
/// presence could not be reached, and when its node died.
/// </summary>
internal sealed partial class ConnectionDepartures(IPresenceStore presence, IBroker broker, ILogger<ConnectionDepartures> logger)
{
    /// <summary>
    /// Closed connections remembered while presence cannot be reached, at most: a node holding
    /// this many that all close during one outage leaves the rest listed until it restarts
    /// (it then clears what its previous run left) or dies (other nodes purge it).
    /// </summary>
    public const int MaxPendingForgets = 100_000;

    // Connection id → user: ids are never reused, so forgetting one late cannot hit a newer connection.
    private readonly ConcurrentDictionary<string, string?> _pendingForgets = new(StringComparer.Ordinal);

    /// <summary>
    /// Takes a closed connection out of presence and tells the members of its groups. When
    /// presence cannot be reached (Redis is down), the connection is remembered and taken out
    /// once it can (<see cref="ForgetPendingAsync"/>, on the node's next heartbeat that reaches
    /// Redis): presence that comes back with its data (a restart from disk, a replica taking
    /// over) does not keep listing it as online.
    /// </summary>
    public async Task ForgetConnectionAsync(string connectionId, string? user)
    {
        try
        {
            await ForgetCoreAsync(connectionId, user);
        }
        catch (BackplaneUnavailableException ex)
        {
            if (_pendingForgets.Count < MaxPendingForgets)
            {
                _pendingForgets[connectionId] = user;
                Log.ForgetDeferred(logger, connectionId, ex);
            }
            else
            {
                Log.ForgetFailed(logger, connectionId, MaxPendingForgets, ex);
            }
        }
    }

    /// <summary>
    /// Takes out of presence the connections that closed while it could not be reached, for at
    /// most <paramref name="budget"/> (the rest wait for the next call, so a large backlog does
    /// not hold up the heartbeat that calls it); stops at the first failure (Redis still away).
    /// </summary>
    public async Task ForgetPendingAsync(TimeSpan budget, CancellationToken cancellationToken)
    {
        var forgotten = 0;
        var started = Stopwatch.GetTimestamp();
        foreach (var (connectionId, user) in _pendingForgets)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (Stopwatch.GetElapsedTime(started) > budget)
            {
                break;
            }

            await ForgetCoreAsync(connectionId, user);
            _pendingForgets.TryRemove(connectionId, out _);
            forgotten++;
        }

        if (forgotten > 0)
        {
            Log.ForgotPending(logger, forgotten, _pendingForgets.Count);
        }
    }

    private async Task ForgetCoreAsync(string connectionId, string? user)
    {
        var groups = await presence.RemoveConnectionAsync(connectionId, CancellationToken.None);
        await AnnounceDepartureAsync(connectionId, user, groups);
    }

    /// <summary>Tells the members of each group that the connection left (it closed, or its node died).</summary>
    public async Task AnnounceDepartureAsync(string connectionId, string? user, IReadOnlyList<string> groups)
    {
        foreach (var group in groups)
        {
            try
            {
                await broker.PublishAsync(Envelope.ForPresenceEvent(EnvelopeKind.MemberLeft, group, connectionId, user), requiredConnectionId: null, turn: null, CancellationToken.None);
            }
            catch (BackplaneUnavailableException ex)
            {
                Log.MemberLeftFailed(logger, connectionId, group, ex);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning,
            "Connection {ConnectionId} could not be removed from presence, {Max} closed connections already wait for Redis; it stays listed until this node restarts or is counted dead.")]
        public static partial void ForgetFailed(ILogger logger, string connectionId, int max, Exception exception);

        [LoggerMessage(2, LogLevel.Warning, "MemberLeft for connection {ConnectionId} in group {Group} could not be published.")]
        public static partial void MemberLeftFailed(ILogger logger, string connectionId, string group, Exception exception);

        [LoggerMessage(3, LogLevel.Warning, "Connection {ConnectionId} closed while presence could not be reached; it is removed once Redis answers again.")]
        public static partial void ForgetDeferred(ILogger logger, string connectionId, Exception exception);

        [LoggerMessage(4, LogLevel.Information, "Removed {Count} connection(s) from presence that closed while Redis could not be reached; {Left} left for the next heartbeat.")]
        public static partial void ForgotPending(ILogger logger, int count, int left);
    }
}
