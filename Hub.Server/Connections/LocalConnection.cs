using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;

namespace Hub.Server.Connections;

/// <summary>One of this node's connections and the groups it is in here.</summary>
internal sealed class LocalConnection(HubConnectionContext context)
{
    private readonly ConcurrentDictionary<string, byte> _groups = new(StringComparer.Ordinal);

    public HubConnectionContext Context { get; } = context;

    public IReadOnlyCollection<string> Groups => [.. _groups.Keys];

    public void Joined(string group) => _groups.TryAdd(group, 0);

    public void Left(string group) => _groups.TryRemove(group, out _);
}
