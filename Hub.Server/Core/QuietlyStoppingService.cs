namespace Hub.Server.Core;

/// <summary>
/// A background service whose stop is no failure. When the host stops it — or, after a start that
/// failed (a port in use), disposes it without stopping it — the cancellation that ends its loop
/// ends it quietly, instead of being reported as a crash that stops the host.
/// </summary>
internal abstract class QuietlyStoppingService : BackgroundService
{
    protected sealed override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await RunAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopped, as asked.
        }
    }

    /// <summary>The service's work, until <paramref name="stoppingToken"/> is cancelled.</summary>
    protected abstract Task RunAsync(CancellationToken stoppingToken);
}
