namespace Hub.Bench.Load;

/// <summary>The publisher's answers: each Send awaited, bounded, and counted when accepted.</summary>
internal sealed class PublisherAcks
{
    private static readonly TimeSpan AckTimeout = TimeSpan.FromSeconds(30);
    private TaskCompletionSource<string?> _answer = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _expected = -1;

    public long Accepted { get; private set; }

    public void OnEvent(LoadEvent loadEvent)
    {
        if (loadEvent.Kind == LoadEventKind.Ack && loadEvent.Id == Volatile.Read(ref _expected))
        {
            _answer.TrySetResult(loadEvent.Error);
        }
    }

    public async Task PublishAsync(LoadConnection publisher, long id, string text, CancellationToken cancellationToken)
    {
        _answer = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _expected, id);
        await publisher.Socket.PublishAsync(id, text, cancellationToken);
        if (await _answer.Task.WaitAsync(AckTimeout, cancellationToken) is { } error)
        {
            throw new InvalidOperationException($"The publisher's Send failed: {error}");
        }

        Accepted++;
    }

    /// <summary>
    /// Publishes broadcast <paramref name="number"/> of the idle connections (<see cref="IdleConnections.Mark"/>); a
    /// failed Send is logged in <paramref name="errors"/> rather than thrown, so the round still counts who got it.
    /// </summary>
    public async Task PublishMarkAsync(LoadConnection publisher, int number, ErrorLog errors, CancellationToken cancellationToken)
    {
        try
        {
            await PublishAsync(publisher, number, IdleConnections.Mark(number), cancellationToken);
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or TimeoutException or System.Net.WebSockets.WebSocketException)
        {
            errors.Add($"broadcast {number}: {ex.GetType().Name}: {ex.Message}");
        }
    }
}
