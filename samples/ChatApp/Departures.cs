using System.Collections.Concurrent;
using Hub.Server.Handlers;

namespace ChatApp;

/// <summary>Who left the chat, newest last: what the application keeps of its disconnects.</summary>
public sealed class Departures
{
    private readonly ConcurrentQueue<DisconnectContext> _left = new();

    /// <summary>Raised after each departure is kept.</summary>
    public event Action<DisconnectContext>? Left;

    /// <summary>Every departure so far.</summary>
    public IReadOnlyCollection<DisconnectContext> All => _left;

    internal void Add(DisconnectContext departure)
    {
        _left.Enqueue(departure);
        Left?.Invoke(departure);
    }
}
