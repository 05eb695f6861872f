namespace Hub.Client.Internal;

/// <summary>
/// The last position the application saw on each stream: drops duplicates (a message at or
/// below that position in the same epoch), tells a gap (an offset beyond the next one, or another
/// epoch) from progress, and is what the client resumes from.
/// </summary>
internal sealed class StreamTracker
{
    private readonly Dictionary<string, StreamPosition> _positions = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>
    /// Takes the message as the stream's new position when it is the next one (or the first one
    /// seen); says so when it was seen already, or when messages are missing before it.
    /// </summary>
    public Arrival Accept(Message message)
    {
        if (message.Offset <= 0)
        {
            return Arrival.Next;
        }

        lock (_gate)
        {
            if (_positions.TryGetValue(message.Stream, out var seen))
            {
                if (seen.Epoch == message.Epoch && message.Offset <= seen.Offset)
                {
                    return Arrival.Seen;
                }

                // Nothing seen yet of a stream that was empty (epoch empty, offset 0): its first message is offset 1, in any epoch.
                var next = message.Offset == seen.Offset + 1 && (seen.Epoch == message.Epoch || seen is { Epoch: "", Offset: 0 });
                if (!next)
                {
                    return Arrival.Gap;
                }
            }

            _positions[message.Stream] = new StreamPosition { Stream = message.Stream, Epoch = message.Epoch, Offset = message.Offset };
            return Arrival.Next;
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

    /// <summary>
    /// Goes on in <paramref name="epoch"/> from the stream's position, when a resume said the stream
    /// was recovered under that epoch: the offsets seen are the same messages there.
    /// </summary>
    public void ContinueIn(string stream, string epoch)
    {
        lock (_gate)
        {
            if (_positions.TryGetValue(stream, out var seen) && seen.Epoch != epoch)
            {
                _positions[stream] = new StreamPosition { Stream = stream, Epoch = epoch, Offset = seen.Offset };
            }
        }
    }

    /// <summary>Forgets the stream's position: its next message is taken as it comes.</summary>
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

    /// <summary>The positions of the given streams that are known.</summary>
    public IReadOnlyList<StreamPosition> Snapshot(IEnumerable<string> streams)
    {
        lock (_gate)
        {
            return [.. streams.Distinct(StringComparer.Ordinal).Where(_positions.ContainsKey).Select(s => _positions[s])];
        }
    }
}

/// <summary>What a received message is to the stream's position.</summary>
internal enum Arrival
{
    /// <summary>The next message (or the first seen): deliver it.</summary>
    Next,

    /// <summary>At or below the position: delivered already.</summary>
    Seen,

    /// <summary>Messages are missing before it, or its epoch changed: resume first.</summary>
    Gap,
}
