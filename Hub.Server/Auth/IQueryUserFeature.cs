namespace Hub.Server.Auth;

/// <summary>
/// The <c>user</c> query parameter of a connection that has no HTTP context (a WebSocket served
/// directly), for <see cref="QueryUserIdProvider"/>.
/// </summary>
internal interface IQueryUserFeature
{
    string? QueryUser { get; }
}
