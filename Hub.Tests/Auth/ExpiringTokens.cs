using Hub.Tests.Infrastructure;

namespace Hub.Tests.Auth;

/// <summary>
/// A client's token provider for expiry tests: until <see cref="Connected"/> every token it gives
/// expires at <see cref="Expires"/> (whole seconds, as JWT times are, a few seconds from now),
/// every later one is long-lived, and it counts those.
/// </summary>
public sealed class ExpiringTokens(string user, int seconds = 3)
{
    private int _connected;
    private int _freshTokens;

    public DateTime Expires { get; } = WholeSecond(DateTime.UtcNow).AddSeconds(seconds);

    public int FreshTokens => Volatile.Read(ref _freshTokens);

    public void Connected() => Volatile.Write(ref _connected, 1);

    public Task<string?> NextAsync()
    {
        if (Volatile.Read(ref _connected) == 0)
        {
            return Task.FromResult<string?>(TestTokens.Create(user, Expires));
        }

        Interlocked.Increment(ref _freshTokens);
        return Task.FromResult<string?>(TestTokens.Create(user));
    }

    /// <summary>
    /// Starts <paramref name="client"/>, whose token provider is <see cref="NextAsync"/>, and waits
    /// until the server has closed it at its token's expiry (never before) and it came back as a
    /// new connection with a fresh token.
    /// </summary>
    public async Task OutliveAsync(TestClient client)
    {
        var lostAt = DateTime.MaxValue;
        client.Client.Reconnecting += _ => lostAt = DateTime.UtcNow;
        await client.Client.StartAsync().Within();
        Connected();
        var firstId = client.ConnectionId;

        await client.Reconnected.WaitForCountAsync(1, "the reconnect after the token expired");

        Assert.Multiple(() =>
        {
            Assert.That(lostAt, Is.GreaterThanOrEqualTo(Expires), "the connection was closed before its token expired");
            Assert.That(FreshTokens, Is.GreaterThanOrEqualTo(1), "the reconnect did not ask the provider for a token again");
            Assert.That(client.ConnectionId, Is.Not.EqualTo(firstId));
        });
    }

    private static DateTime WholeSecond(DateTime time) => new(time.Ticks - (time.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
}
