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

    // Presence scripts share their bookkeeping helpers; each touches one partition's slot.
    private static readonly string PresenceCommon = Load("presence_common");
    public static readonly string ConnectionAdd = Presence("conn_add");
    public static readonly string ConnectionJoin = Presence("conn_join");
    public static readonly string ConnectionLeave = Presence("conn_leave");
    public static readonly string ConnectionForget = Presence("conn_forget");
    public static readonly string PurgeBatch = Presence("purge_batch");
    public static readonly string LeavingClaim = Presence("leaving_claim");
    public static readonly string UserAdd = Presence("user_add");
    public static readonly string UserRemove = Presence("user_remove");
    public static readonly string GroupJoin = Presence("group_join");
    public static readonly string GroupLeave = Presence("group_leave");
    public static readonly string GroupSnapshot = Presence("group_snapshot");
    public static readonly string NodeForget = Presence("node_forget");

    private static string Presence(string name) => PresenceCommon + Load("presence_" + name);

    private static string Load(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream($"Hub.Server.Redis.Scripts.{name}.lua")
            ?? throw new InvalidOperationException($"The Lua script '{name}' is not embedded in the assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
