namespace Hub.Client.Internal;

/// <summary>
/// Holds the messages received between a reconnect and the end of its resume, then hands them
/// over each stream in offset order. Needed twice over: live messages can arrive before the
/// server starts replaying (the client re-joins its groups first), and the SignalR client runs
/// message handlers on its own loop, so the resume call can return before the handlers saw
/// the replayed messages.
/// </summary>
internal sealed class ResumeHold
{
    private readonly Lock _gate = new();
    private List<Message>? _held;
    private Dictionary<string, StreamResumeResult>? _awaited;
    private TaskCompletionSource? _caughtUp;
    private string? _liveConnectionId;

    /// <summary>From now on, received messages are held.</summary>
    public void Begin()
    {
        lock (_gate)
        {
            _held ??= [];
        }
    }

    /// <summary>
    /// Holds the message while a resume runs, or when it came on a connection whose resume has
    /// not run yet; false when the message can be delivered at once.
    /// </summary>
    /// <remarks>
    /// The connection check matters: the SignalR client may run the Reconnecting event after the
    /// new connection already delivered its first messages.
    /// </remarks>
    public bool TryHold(Message message, string? connectionId)
    {
        lock (_gate)
        {
            if (connectionId != _liveConnectionId)
            {
                _held ??= [];
            }

            if (_held is null)
            {
                return false;
            }

            _held.Add(message);
            if (_awaited is not null && _awaited.TryGetValue(message.Stream, out var end) && Complete(end) &&
                _awaited.Remove(message.Stream) && _awaited.Count == 0)
            {
                _caughtUp?.TrySetResult();
            }

            return true;
        }
    }

    /// <summary>Completes once every stream that replayed something holds its whole replay.</summary>
    public Task WaitForReplayAsync(IReadOnlyList<StreamResumeResult> streams)
    {
        lock (_gate)
        {
            if (_held is null)
            {
                return Task.CompletedTask;
            }

            _awaited = streams.Where(s => s.Missed > 0 && !Complete(s)).ToDictionary(s => s.Stream, StringComparer.Ordinal);

            if (_awaited.Count == 0)
            {
                return Task.CompletedTask;
            }

            _caughtUp = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _caughtUp.Task;
        }
    }

    /// <summary>The resume of this connection is done: what it receives from now on may be delivered once the held messages are.</summary>
    public void GoLive(string? connectionId)
    {
        lock (_gate)
        {
            _liveConnectionId = connectionId;
        }
    }

    /// <summary>
    /// Takes what is held, each stream in offset order; when nothing is, stops holding in the
    /// same step, so no message slips between the last batch and normal delivery.
    /// </summary>
    public IReadOnlyList<Message>? TakeOrStop()
    {
        lock (_gate)
        {
            if (_held is not { Count: > 0 })
            {
                _held = null;
                _awaited = null;
                _caughtUp = null;
                return null;
            }

            var held = _held;
            _held = [];
            return InStreamOrder(held);
        }
    }

    /// <summary>
    /// Whether the held messages of the stream hold its whole replay: a run of consecutive offsets
    /// ending at the position the resume reported, at least as long as the replay. Reaching that
    /// position alone is not enough: a live copy of the newest message can arrive before the
    /// replayed older ones have gone through the handler loop.
    /// </summary>
    private bool Complete(StreamResumeResult end)
    {
        var offsets = _held!.Where(m => m.Stream == end.Stream && m.Epoch == end.Epoch).Select(m => m.Offset).ToHashSet();
        var run = 0;
        for (var offset = end.Offset; offsets.Contains(offset); offset--)
        {
            if (++run >= end.Missed)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Sorts each stream by offset while keeping the streams' interleaving as it arrived.</summary>
    private static List<Message> InStreamOrder(List<Message> messages)
    {
        var sorted = messages
            .GroupBy(m => m.Stream, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => new Queue<Message>(g.OrderBy(m => m.Offset)), StringComparer.Ordinal);
        return [.. messages.Select(m => sorted[m.Stream].Dequeue())];
    }
}
