namespace Hub.Server.Connections;

/// <summary>
/// The hub's connections on this node, as the parts below the hub reach them: sends and group
/// changes through SignalR's lifetime manager, without knowing the hub.
/// </summary>
internal interface ILocalClients
{
    Task SendAllAsync(string method, object?[] args, CancellationToken cancellationToken = default);

    Task SendAllExceptAsync(string method, object?[] args, IReadOnlyList<string> excluded, CancellationToken cancellationToken = default);

    Task SendConnectionAsync(string connectionId, string method, object?[] args, CancellationToken cancellationToken = default);

    Task SendGroupAsync(string group, string method, object?[] args, CancellationToken cancellationToken = default);

    Task SendGroupExceptAsync(string group, string method, object?[] args, IReadOnlyList<string> excluded, CancellationToken cancellationToken = default);

    Task AddToGroupAsync(string connectionId, string group, CancellationToken cancellationToken = default);

    Task RemoveFromGroupAsync(string connectionId, string group, CancellationToken cancellationToken = default);
}
