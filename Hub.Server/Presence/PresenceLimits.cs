namespace Hub.Server.Presence;

internal static class PresenceLimits
{
    /// <summary>A snapshot lists at most this many user ids; its counts always tell the full size.</summary>
    public const int MaxListedUsers = 1000;
}
