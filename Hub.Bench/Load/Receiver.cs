namespace Hub.Bench.Load;

/// <summary>
/// A connection that only listens (to everything, or to its one group): counts the messages it gets per publisher, checks each
/// publisher's sequence arrives in order without repeats, and times them.
/// </summary>
internal sealed class Receiver : IAsyncDisposable
{
    private readonly LoadPhase _phase;
    private readonly ErrorLog _errors;
    private readonly long[] _received;
    private readonly long[] _lastSequence;
    private readonly bool[] _sameNode;
    private LoadConnection? _connection;
    private long _deliveries;
    private static readonly TimeSpan JoinTimeout = TimeSpan.FromSeconds(10);
    private const long JoinCallId = 1;
    private readonly TaskCompletionSource<string?> _joined = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ReceiverLatency _latency = new();

    private Receiver(bool[] sameNode, LoadPhase phase, ErrorLog errors)
    {
        _phase = phase;
        _errors = errors;
        _received = new long[sameNode.Length];
        _lastSequence = new long[sameNode.Length];
        _sameNode = sameNode;
    }

    public long Deliveries => Volatile.Read(ref _deliveries);

    /// <summary>The group it listens to (as <see cref="LoadGroups"/> numbers them), -1 for broadcasts.</summary>
    public int Group { get; private init; } = -1;

    /// <param name="sameNode">Per publisher, whether it is connected to the same node as this receiver.</param>
    /// <param name="group">The group to join before the load starts, -1 for none (broadcasts).</param>
    public static async Task<Receiver> ConnectAsync(Endpoint endpoint, int index, bool[] sameNode, int group, LoadPhase phase, ErrorLog errors)
    {
        var receiver = new Receiver(sameNode, phase, errors) { Group = group };
        receiver._connection = await LoadConnection.OpenAsync(endpoint, $"receiver {index}", receiver.OnEvent, errors);
        if (group >= 0)
        {
            try
            {
                await receiver._connection.Socket.JoinAsync(JoinCallId, LoadGroups.Name(group), CancellationToken.None);
                if (await receiver._joined.Task.WaitAsync(JoinTimeout) is { } error)
                {
                    throw new IOException($"receiver {index} could not join {LoadGroups.Name(group)}: {error}");
                }
            }
            catch
            {
                await receiver.DisposeAsync();
                throw;
            }
        }

        return receiver;
    }

    public long Received(int publisher) => Volatile.Read(ref _received[publisher]);

    /// <summary>
    /// The latencies recorded since the last call, and a fresh start for the next measured window.
    /// Call it once the window is over (<see cref="LoadPhase.Measuring"/> false).
    /// </summary>
    public ReceiverLatency TakeLatency() => Interlocked.Exchange(ref _latency, new ReceiverLatency());

    public ValueTask DisposeAsync() => _connection?.DisposeAsync() ?? ValueTask.CompletedTask;

    private void OnEvent(LoadEvent message)
    {
        if (message.Kind == LoadEventKind.Ack && message.Id == JoinCallId)
        {
            _joined.TrySetResult(message.Error);
            return;
        }

        if (message.Kind != LoadEventKind.Message)
        {
            return;
        }

        Volatile.Write(ref _deliveries, _deliveries + 1);
        if (!MessageText.TryParse(message.Text, out var publisher, out var sequence, out var sentAt) || (uint)publisher >= _received.Length)
        {
            _errors.Add("A message arrived that the bench did not send.");
            return;
        }

        // One bus channel: every receiver sees a publisher's messages in the order they were accepted (with gaps, in a group).
        if (sequence <= _lastSequence[publisher])
        {
            _errors.Add($"Publisher {publisher}'s message {sequence} arrived after {_lastSequence[publisher]} (repeat or out of order).");
        }

        _lastSequence[publisher] = sequence;
        Volatile.Write(ref _received[publisher], _received[publisher] + 1);
        if (_phase.Measuring)
        {
            var latency = _latency;
            (_sameNode[publisher] ? latency.SameNode : latency.CrossNode).RecordSince(sentAt);
        }
    }
}

/// <summary>One receiver's send-to-receipt latencies of a measured window, by whether publisher and receiver share a node.</summary>
internal sealed class ReceiverLatency
{
    public LatencySamples SameNode { get; } = new();

    public LatencySamples CrossNode { get; } = new();
}

/// <summary>Send-to-receipt latencies of one measured window over all receivers: all, and split by whether publisher and receiver share a node.</summary>
internal sealed class LatencyTotals
{
    public LatencyHistogram All { get; } = new();

    public LatencyHistogram SameNode { get; } = new();

    public LatencyHistogram CrossNode { get; } = new();

    public void Add(ReceiverLatency receiver)
    {
        receiver.SameNode.CopyTo(All, SameNode);
        receiver.CrossNode.CopyTo(All, CrossNode);
    }
}
