using Hub.Tests.Infrastructure;

namespace Hub.Tests.Upstream;

internal static class WebhookBackendExtensions
{
    /// <summary>Waits, bounded, until the backend has got <paramref name="count"/> requests of <paramref name="event"/>; returns the last of them.</summary>
    public static async Task<WebhookBackend.Received> WaitForAsync(this WebhookBackend backend, string @event, int count = 1)
    {
        await Bounded.UntilAsync(() => Task.FromResult(backend.Of(@event).Count >= count), $"the backend got {count} {@event} request(s)");
        return backend.Of(@event)[count - 1];
    }
}
