namespace Hub.Server.Handlers;

/// <summary>The query string a connection opened with, for one that has no HTTP context (a WebSocket served directly), for <see cref="ConnectContext.Query"/>.</summary>
internal interface IConnectQueryFeature
{
    IQueryCollection Query { get; }
}
