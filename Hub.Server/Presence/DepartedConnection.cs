namespace Hub.Server.Presence;

/// <summary>A connection presence forgot because its node died, with the groups it was in.</summary>
internal sealed record DepartedConnection(string ConnectionId, string? User, IReadOnlyList<string> Groups);
