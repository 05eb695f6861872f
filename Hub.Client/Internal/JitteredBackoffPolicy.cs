using Microsoft.AspNetCore.SignalR.Client;

namespace Hub.Client.Internal;

/// <summary>
/// Reconnects forever: first after a delay drawn between zero and the initial one, then after
/// delays that double up to a cap, each drawn between half and all of its step, so that a node's
/// clients do not return in one wave. The first is drawn too: when a node dies, all its clients
/// see their connections end in the same instant, and retrying at once brought them all back in
/// that instant (the bench's failover scenario measured 3,333 within one second). A node that
/// refused the attempt and asked to wait (<see cref="RetryHint"/>: it is past its connects per
/// second, full or stopping) is waited for: the delay is then at least a random time between that
/// wait and twice it, so that the clients it turned away come back spread over as long again.
/// </summary>
internal sealed class JitteredBackoffPolicy(TimeSpan initial, TimeSpan cap) : IRetryPolicy
{
    public static readonly JitteredBackoffPolicy Default = new(TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(30));

    public TimeSpan? NextRetryDelay(RetryContext retryContext)
    {
        var delay = Backoff(retryContext.PreviousRetryCount);
        return RetryHint.Of(retryContext.RetryReason) is { } wait && wait > TimeSpan.Zero
            ? TimeSpan.FromMilliseconds(Math.Max(delay.TotalMilliseconds, wait.TotalMilliseconds * (1 + Random.Shared.NextDouble())))
            : delay;
    }

    private TimeSpan Backoff(long previousRetries)
    {
        if (previousRetries == 0)
        {
            return TimeSpan.FromMilliseconds(initial.TotalMilliseconds * Random.Shared.NextDouble());
        }

        var exponent = Math.Min(previousRetries - 1, 16);
        var step = Math.Min(cap.TotalMilliseconds, initial.TotalMilliseconds * Math.Pow(2, exponent));
        return TimeSpan.FromMilliseconds(step * (0.5 + (Random.Shared.NextDouble() * 0.5)));
    }
}
