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
    private Dictionary<string, ReplayWindow>? _awaited;
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
            if (_awaited is not null && _awaited.TryGetValue(message.Stream, out var window) && window.Add(message) &&
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

            _awaited = new Dictionary<string, ReplayWindow>(StringComparer.Ordinal);
            foreach (var stream in streams.Where(s => s.Missed > 0))
            {
                var window = new ReplayWindow(stream);
                if (!_held.Any(window.Add))
                {
                    _awaited[stream.Stream] = window;
                }
            }

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
    /// Holds again, ahead of whatever arrived meanwhile, messages taken by <see cref="TakeOrStop"/>
    /// that cannot be delivered yet (a gap showed before them): they wait for the next resume.
    /// </summary>
    public void HoldAgain(IEnumerable<Message> messages)
    {
        lock (_gate)
        {
            _held = [.. messages, .. _held ?? []];
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
    /// Sorts each stream's messages of one epoch by offset while keeping the interleaving as it
    /// arrived: offsets of two epochs say nothing about which came first.
    /// </summary>
    private static List<Message> InStreamOrder(List<Message> messages)
    {
        var sorted = messages
            .GroupBy(m => (m.Stream, m.Epoch))
            .ToDictionary(g => g.Key, g => new Queue<Message>(g.OrderBy(m => m.Offset)));
        return [.. messages.Select(m => sorted[(m.Stream, m.Epoch)].Dequeue())];
    }

    /// <summary>
    /// The last <c>Missed</c> offsets of a stream up to the position the resume reported: the
    /// replay is through once each of them is held. Reaching that position alone is not enough:
    /// a live copy of the newest message can arrive before the replayed older ones have gone
    /// through the handler loop.
    /// </summary>
    private sealed class ReplayWindow(StreamResumeResult end)
    {
        private readonly HashSet<long> _seen = [];

        /// <summary>Counts the message if it falls in the window; true once the window is full.</summary>
        public bool Add(Message message)
        {
            if (message.Stream == end.Stream && message.Epoch == end.Epoch &&
                message.Offset <= end.Offset && message.Offset > end.Offset - end.Missed)
            {
                _seen.Add(message.Offset);
            }

            return _seen.Count >= end.Missed;
        }
    }
}
