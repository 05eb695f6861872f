using System.Threading.Channels;

namespace Hub.Server.Upstream;

/// <summary>
/// Delivers <c>disconnect</c> to the backend in the background, a few at a time, each retried by the
/// client's pipeline while the backend is unavailable. Bounded: past <see cref="MaxWaiting"/> waiting
/// deliveries a new one is dropped with a warning, and at shutdown what is left has until the host's
/// shutdown timeout. The connections a drain closes (on ApplicationStopping, before any background
/// service stops) have their disconnects sent before the node is gone.
/// </summary>
internal sealed partial class DisconnectDeliveries(UpstreamClient client, UpstreamMetrics metrics, ILogger<DisconnectDeliveries> logger) : IHostedService
{
    public const int MaxWaiting = 10_000;

    // Enough to keep up with a drain's closes against a backend that answers; few enough not to flood one that does not.
    private const int Senders = 16;

    private readonly Channel<(string ConnectionId, byte[] Body)> _waiting = Channel.CreateBounded<(string, byte[])>(
        new BoundedChannelOptions(MaxWaiting) { FullMode = BoundedChannelFullMode.DropWrite });

    private readonly CancellationTokenSource _abandon = new();
    private Task _sending = Task.CompletedTask;

    public void Enqueue(string connectionId, byte[] body)
    {
        if (!_waiting.Writer.TryWrite((connectionId, body)))
        {
            Log.Dropped(logger, connectionId, MaxWaiting);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _sending = Task.WhenAll(Enumerable.Range(0, Senders).Select(_ => Task.Run(SendAsync, CancellationToken.None)));
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _waiting.Writer.TryComplete();
        try
        {
            await _sending.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            await _abandon.CancelAsync();
            Log.Abandoned(logger, _waiting.Reader.Count);
        }
    }

    private async Task SendAsync()
    {
        await foreach (var (connectionId, body) in _waiting.Reader.ReadAllAsync(CancellationToken.None))
        {
            try
            {
                // The client logs what went wrong; the pipeline has retried it already.
                var answer = await client.PostAsync(UpstreamEvents.Disconnect, body, connectionId, _abandon.Token);
                metrics.Answered(UpstreamEvents.Disconnect, answer.Outcome);
            }
            catch (OperationCanceledException) when (_abandon.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                Log.Failed(logger, connectionId, ex);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Disconnect of connection {ConnectionId} not sent to upstream: {Max} disconnects already wait for it.")]
        public static partial void Dropped(ILogger logger, string connectionId, int max);

        [LoggerMessage(2, LogLevel.Warning, "Stopping: {Count} disconnect(s) not sent to upstream in time, and abandoned.")]
        public static partial void Abandoned(ILogger logger, int count);

        [LoggerMessage(3, LogLevel.Error, "Disconnect of connection {ConnectionId} could not be sent to upstream.")]
        public static partial void Failed(ILogger logger, string connectionId, Exception exception);
    }
}
