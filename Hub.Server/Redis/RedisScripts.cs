using System.Reflection;

namespace Hub.Server.Redis;

/// <summary>
/// The Lua scripts, embedded from <c>Redis/Scripts</c>. StackExchange.Redis sends each with
/// EVAL once and with EVALSHA after that (and again with EVAL if Redis lost its script cache).
/// </summary>
internal static class RedisScripts
{
    public static readonly string Publish = Load("publish");
    public static readonly string HistoryRead = Load("history_read");

    // Presence scripts share their bookkeeping helpers.
    private static readonly string PresenceCommon = Load("presence_common");
    public static readonly string AddConnection = Load("presence_add_connection");
    public static readonly string RemoveConnection = PresenceCommon + Load("presence_remove_connection");
    public static readonly string Join = PresenceCommon + Load("presence_join");
    public static readonly string Leave = PresenceCommon + Load("presence_leave");
    public static readonly string GroupSnapshot = PresenceCommon + Load("presence_group_snapshot");
    public static readonly string HubSnapshot = PresenceCommon + Load("presence_hub_snapshot");
    public static readonly string PurgeNode = PresenceCommon + Load("presence_purge_node");

    private static string Load(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream($"Hub.Server.Redis.Scripts.{name}.lua")
            ?? throw new InvalidOperationException($"The Lua script '{name}' is not embedded in the assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
