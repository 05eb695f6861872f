using System.Collections.Concurrent;

namespace Hub.Server.Handlers;

/// <summary>
/// What the handler decided at negotiate, by the connection id SignalR handed out, until that
/// connection opens (its hub connect takes it, once). The handler is asked at negotiate so that a
/// refusal is a 403 there; the connection gets the user id and groups decided then. An entry not
/// taken lives as long as SignalR waits for a negotiated connection's transport, and a little more.
/// </summary>
internal sealed class ConnectDecisions
{
    private static readonly long LifetimeMs = (long)TimeSpan.FromSeconds(30).TotalMilliseconds;

    private readonly ConcurrentDictionary<string, Entry> _byConnection = new(StringComparer.Ordinal);
    private long _nextSweep;

    public void Remember(string connectionId, ConnectDecision decision)
    {
        var now = Environment.TickCount64;
        _byConnection[connectionId] = new Entry(decision, now + LifetimeMs);
        Sweep(now);
    }

    public bool TryTake(string connectionId, out ConnectDecision? decision)
    {
        decision = null;
        if (!_byConnection.TryRemove(connectionId, out var entry) || entry.ExpiresAt < Environment.TickCount64)
        {
            return false;
        }

        decision = entry.Decision;
        return true;
    }

    private void Sweep(long now)
    {
        var next = Interlocked.Read(ref _nextSweep);
        if (now < next || Interlocked.CompareExchange(ref _nextSweep, now + LifetimeMs, next) != next)
        {
            return;
        }

        foreach (var (id, entry) in _byConnection)
        {
            if (entry.ExpiresAt < now)
            {
                _byConnection.TryRemove(id, out _);
            }
        }
    }

    private readonly record struct Entry(ConnectDecision Decision, long ExpiresAt);
}
