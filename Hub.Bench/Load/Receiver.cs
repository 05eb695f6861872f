namespace Hub.Bench.Load;

/// <summary>
/// A connection that only listens: counts the messages it gets per publisher, checks each
/// publisher's sequence arrives in order without repeats, and times them.
/// </summary>
internal sealed class Receiver : IAsyncDisposable
{
    private readonly LoadPhase _phase;
    private readonly ErrorLog _errors;
    private readonly long[] _received;
    private readonly long[] _lastSequence;
    private LoadConnection? _connection;
    private long _deliveries;

    private Receiver(int publishers, LoadPhase phase, ErrorLog errors)
    {
        _phase = phase;
        _errors = errors;
        _received = new long[publishers];
        _lastSequence = new long[publishers];
    }

    public LatencyHistogram Latency { get; } = new();

    public long Deliveries => Volatile.Read(ref _deliveries);

    public static async Task<Receiver> ConnectAsync(Endpoint endpoint, int index, int publishers, LoadPhase phase, ErrorLog errors)
    {
        var receiver = new Receiver(publishers, phase, errors);
        receiver._connection = await LoadConnection.OpenAsync(endpoint, $"receiver {index}", receiver.OnEvent, errors);
        return receiver;
    }

    public long Received(int publisher) => Volatile.Read(ref _received[publisher]);

    public ValueTask DisposeAsync() => _connection?.DisposeAsync() ?? ValueTask.CompletedTask;

    private void OnEvent(LoadEvent message)
    {
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

        // One bus channel and one stream: every receiver sees a publisher's messages in the order they were accepted.
        if (sequence <= _lastSequence[publisher])
        {
            _errors.Add($"Publisher {publisher}'s message {sequence} arrived after {_lastSequence[publisher]} (repeat or out of order).");
        }

        _lastSequence[publisher] = sequence;
        Volatile.Write(ref _received[publisher], _received[publisher] + 1);
        if (_phase.Measuring)
        {
            Latency.RecordSince(sentAt);
        }
    }
}
