namespace Hub.Server.Backplane;

/// <summary>
/// The highest position this node has seen of each recently used stream: from every message the
/// bus brought and from every publish it made. A publish hands it to Redis, which starts a new
/// epoch when the stream's stored position is behind it (a promoted replica or a restart from
/// disk that lacks the last writes), before it gives out an offset that already named another
/// message. What is lost that way are the last moments before the failure, so the most recent
/// streams are what matters: the oldest entry gives way once <see cref="Capacity"/> are kept.
/// </summary>
internal sealed class KnownPositions
{
    /// <summary>Streams remembered, about 100 bytes each.</summary>
    public const int Capacity = 50_000;

    private readonly Dictionary<string, (string Epoch, long Offset)> _positions = new(StringComparer.Ordinal);

    // Streams in the order they were first noted, to forget the oldest when full.
    private readonly string?[] _order = new string?[Capacity];
    private readonly Lock _gate = new();
    private int _next;

    /// <summary>
    /// Notes a position: higher in the same epoch, or any position of another epoch, which
    /// came later (the bus and the publishes see a stream's epochs in their order).
    /// </summary>
    public void Note(string stream, string epoch, long offset)
    {
        if (offset <= 0)
        {
            return;
        }

        lock (_gate)
        {
            if (_positions.TryGetValue(stream, out var known))
            {
                if (known.Epoch != epoch || known.Offset < offset)
                {
                    _positions[stream] = (epoch, offset);
                }

                return;
            }

            if (_order[_next] is { } oldest)
            {
                _positions.Remove(oldest);
            }

            _order[_next] = stream;
            _next = (_next + 1) % Capacity;
            _positions[stream] = (epoch, offset);
        }
    }

    /// <summary>The highest position known of the stream; ("", 0) when none is.</summary>
    public (string Epoch, long Offset) Of(string stream)
    {
        lock (_gate)
        {
            return _positions.GetValueOrDefault(stream, ("", 0));
        }
    }
}
