using Hub.Server.Core;

namespace Hub.Server.Handlers;

/// <summary>
/// What the application decided about a connection, for the hub's connect to carry out: the
/// refusal it fails with, or the groups it joins. Kept in the connection's items under <see cref="Key"/>.
/// </summary>
internal sealed record ConnectOutcome(HubRequestException? Refusal, IReadOnlyList<string>? Groups)
{
    public static readonly object Key = typeof(ConnectOutcome);
}
