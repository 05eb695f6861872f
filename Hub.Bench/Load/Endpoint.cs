using Hub.Client.Internal;

namespace Hub.Bench.Load;

/// <summary>Where one node listens, and the protocol to speak there.</summary>
internal sealed record Endpoint(Uri Url, ILoadProtocol Protocol)
{
    // A node past Hub:Limits:ConnectsPerSecond refuses with a wait; a round's connects heed it this many times.
    private const int MaxAdmissionTries = 30;

    /// <summary>
    /// Connects; a refusal that asks to wait (a node past its connects per second) is tried again
    /// after a random time between that wait and twice it, as an application starting its clients
    /// would, unless <paramref name="heedWait"/> is false (a caller with a retry schedule of its own).
    /// </summary>
    public async Task<ILoadSocket> ConnectAsync(int receiveBufferBytes = 0, CancellationToken cancellationToken = default, bool heedWait = true)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await Protocol.ConnectAsync(Url, receiveBufferBytes, cancellationToken);
            }
            catch (Exception ex) when (heedWait && attempt < MaxAdmissionTries && RetryHint.Of(ex) is { } wait)
            {
                await Task.Delay(wait * (1 + Random.Shared.NextDouble()), cancellationToken);
            }
        }
    }

    public override string ToString() => $"{Url} ({Protocol.Name})";
}
