namespace Hub.Server.Presence;

/// <summary>A live connection as the cluster knows it.</summary>
internal sealed record ConnectionEntry(string ConnectionId, string? User, string Node);
