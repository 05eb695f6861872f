using Hub.Client;

namespace Hub.Server.Messaging;

/// <summary>
/// One connection replaying history. Live messages of the streams it replays are held here
/// instead of being sent, and released after the replay, so the connection receives each stream
/// in offset order with no gap between replay and live.
/// </summary>
internal sealed class RecoverySession(string connectionId, IReadOnlyCollection<string> streams)
{
    /// <summary>
    /// Held messages beyond this are dropped and their streams reported not recovered: memory
    /// stays bounded even when a stream floods while a replay runs.
    /// </summary>
    public const int MaxHeld = 10_000;

    private readonly Lock _gate = new();
    private readonly HashSet<string> _overflowed = new(StringComparer.Ordinal);
    private List<Message>? _held = [];

    public string ConnectionId { get; } = connectionId;

    public IReadOnlyCollection<string> Streams { get; } = streams;

    /// <summary>Holds a live message; false once the session went live (then it is delivered as usual).</summary>
    public bool TryHold(Message message)
    {
        lock (_gate)
        {
            if (_held is null)
            {
                return false;
            }

            if (_held.Count < MaxHeld)
            {
                _held.Add(message);
            }
            else
            {
                _overflowed.Add(message.Stream);
            }

            return true;
        }
    }

    /// <summary>
    /// Takes what was held since the last call. When nothing was, the session goes live in the
    /// same step, so no message can slip between the last release and live delivery.
    /// </summary>
    public List<Message>? TakeHeldOrGoLive()
    {
        lock (_gate)
        {
            var held = _held;
            if (held is null || held.Count == 0)
            {
                _held = null;
                return null;
            }

            _held = [];
            return held;
        }
    }

    public bool Overflowed(string stream)
    {
        lock (_gate)
        {
            return _overflowed.Contains(stream);
        }
    }
}
