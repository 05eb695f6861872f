using System.Collections.Concurrent;
using Hub.Client;

namespace Hub.Server.Messaging;

/// <summary>
/// This node's connections that are replaying history right now, by stream, so local delivery
/// can hold back their live messages. Empty nearly always: delivery checks <see cref="IsEmpty"/> first.
/// </summary>
internal sealed class ResumingConnections
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, RecoverySession>> _byStream = new(StringComparer.Ordinal);
    private readonly Lock _changes = new();
    private int _count;

    public bool IsEmpty => Volatile.Read(ref _count) == 0;

    public void Add(RecoverySession session)
    {
        lock (_changes)
        {
            foreach (var stream in session.Streams)
            {
                _byStream.GetOrAdd(stream, _ => new(StringComparer.Ordinal))[session.ConnectionId] = session;
            }

            _count++;
        }
    }

    public void Remove(RecoverySession session)
    {
        // Changes take a lock so that dropping a stream's empty entry cannot race an Add into it;
        // delivery reads without one.
        lock (_changes)
        {
            foreach (var stream in session.Streams)
            {
                if (_byStream.TryGetValue(stream, out var sessions) && sessions.TryRemove(session.ConnectionId, out _) && sessions.IsEmpty)
                {
                    _byStream.TryRemove(stream, out _);
                }
            }

            _count--;
        }
    }

    /// <summary>Holds the message for every connection replaying its stream; returns those connections (null if none).</summary>
    public List<string>? Hold(Message message)
    {
        if (!_byStream.TryGetValue(message.Stream, out var sessions))
        {
            return null;
        }

        List<string>? holders = null;
        foreach (var (connectionId, session) in sessions)
        {
            if (session.TryHold(message))
            {
                (holders ??= []).Add(connectionId);
            }
        }

        return holders;
    }
}
