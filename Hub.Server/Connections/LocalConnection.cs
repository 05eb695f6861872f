using Microsoft.AspNetCore.SignalR;

namespace Hub.Server.Connections;

/// <summary>One of this node's connections and the groups it is in here.</summary>
internal sealed class LocalConnection(HubConnectionContext context)
{
    // Copied on write: a connection is in few groups (Hub:Limits:MaxGroupsPerConnection at most)
    // and they change seldom, while a node holds many connections, most in one group or none.
    private string[] _groups = [];

    public HubConnectionContext Context { get; } = context;

    public IReadOnlyCollection<string> Groups => Volatile.Read(ref _groups);

    public void Joined(string group) => Change(group, static (groups, group) => Array.IndexOf(groups, group) >= 0 ? groups : [.. groups, group]);

    public void Left(string group) => Change(group, static (groups, group) => Array.IndexOf(groups, group) < 0 ? groups : Array.FindAll(groups, g => g != group));

    private void Change(string group, Func<string[], string, string[]> change)
    {
        while (true)
        {
            var current = Volatile.Read(ref _groups);
            var next = change(current, group);
            if (ReferenceEquals(next, current) || ReferenceEquals(Interlocked.CompareExchange(ref _groups, next, current), current))
            {
                return;
            }
        }
    }
}
