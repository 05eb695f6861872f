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

    private static DateTime WholeSecond(DateTime time) => new(time.Ticks - (time.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
}
