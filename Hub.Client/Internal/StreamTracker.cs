namespace Hub.Client.Internal;

/// <summary>
/// The last position the application saw on each stream: drops duplicates (a message at or
/// below that position in the same epoch) and is what the client resumes from.
/// </summary>
internal sealed class StreamTracker
{
    private readonly Dictionary<string, StreamPosition> _positions = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>Returns false for a message already seen.</summary>
    public bool Accept(Message message)
    {
        if (message.Offset <= 0)
        {
            return true;
        }

        lock (_gate)
        {
            if (_positions.TryGetValue(message.Stream, out var seen) && seen.Epoch == message.Epoch && message.Offset <= seen.Offset)
            {
                return false;
            }

            _positions[message.Stream] = new StreamPosition { Stream = message.Stream, Epoch = message.Epoch, Offset = message.Offset };
            return true;
        }
    }

    /// <summary>Records a position learned without a message (a join, a resume), unless one is already known.</summary>
    public void Observe(string stream, string epoch, long offset, bool overwrite)
    {
        lock (_gate)
        {
            if (overwrite || !_positions.ContainsKey(stream))
            {
                _positions[stream] = new StreamPosition { Stream = stream, Epoch = epoch, Offset = offset };
            }
        }
    }

    public void Forget(string stream)
    {
        lock (_gate)
        {
            _positions.Remove(stream);
        }
    }

    /// <summary>Forgets the <c>connection:</c> streams: they end with their connection.</summary>
    public void ForgetConnectionStreams()
    {
        lock (_gate)
        {
            foreach (var stream in _positions.Keys.Where(s => s.StartsWith("connection:", StringComparison.Ordinal)).ToList())
            {
                _positions.Remove(stream);
            }
        }
    }

    public IReadOnlyList<StreamPosition> Snapshot()
    {
        lock (_gate)
        {
            return [.. _positions.Values];
        }
    }
}
