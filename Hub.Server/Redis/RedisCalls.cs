using Hub.Server.Core;
using StackExchange.Redis;

namespace Hub.Server.Redis;

/// <summary>Turns Redis being unreachable into the one exception the hub and the API know how to report.</summary>
internal static class RedisCalls
{
    /// <summary>
    /// Every script and write goes to the primary, never to a replica, not even while there is
    /// no primary (the library's default would then try a replica): a write fails there anyway,
    /// and a read there may be behind what the primary had. And no redirect is followed: on a Redis
    /// Cluster whose master of a slot just died, the library sends a call for that slot to another
    /// master, and follows its MOVED back to the dead one, where the call waits for the next
    /// attempt to connect (a second or two) before it fails. Refused at once instead, a send fails
    /// fast, as on one server; it runs at most once, and the library learns the new master by itself.
    /// </summary>
    public const CommandFlags Primary = CommandFlags.DemandMaster | CommandFlags.NoRedirect;

    /// <summary>Runs <paramref name="call"/> on <paramref name="redis"/>; Redis being unreachable is told to the connection too (<see cref="RedisConnection.Unavailable"/>).</summary>
    public static async Task<T> RunAsync<T>(RedisConnection redis, Func<Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await call().WaitAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is RedisConnectionException or RedisTimeoutException || IsMomentary(ex))
        {
            if (ex is RedisServerException { Message: var reply } && (reply.StartsWith("MOVED ", StringComparison.Ordinal) || reply.StartsWith(MovedNotFollowed, StringComparison.Ordinal)))
            {
                redis.SlotsMoved();
            }

            redis.Unavailable();
            throw new BackplaneUnavailableException("Redis is unavailable; the operation was not carried out.", ex);
        }
    }

    // What Redis answers while a failover or a restart runs: a replica that was the primary a
    // moment ago, one whose primary is gone, a server still loading its data. On a Redis Cluster
    // also a slot that moved or is moving (the library follows MOVED and ASK itself; one that still
    // reaches the caller met a topology it has not learnt yet), a cluster without a majority of
    // masters or a slot without one (CLUSTERDOWN), and a multi-key call during a slot's migration
    // (TRYAGAIN), and a MOVED not followed (Primary's NoRedirect), which the library words as a
    // sentence of its own. An error reply starts with its code, then a space.
    internal static bool IsMomentary(Exception ex) =>
        ex is RedisServerException server &&
        MomentaryErrors.Any(code => server.Message.StartsWith(code, StringComparison.Ordinal) &&
                                    (server.Message.Length == code.Length || server.Message[code.Length] == ' '));

    private static readonly string[] MomentaryErrors = ["READONLY", "MASTERDOWN", "LOADING", "MOVED", "ASK", "CLUSTERDOWN", "TRYAGAIN", MovedNotFollowed];

    // How the library words a MOVED that Primary's NoRedirect kept it from following.
    private const string MovedNotFollowed = "Key has MOVED";
}
