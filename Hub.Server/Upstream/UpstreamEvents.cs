namespace Hub.Server.Upstream;

/// <summary>The events the backend can be asked about: each is the last segment of its URL and its <c>X-Hub-Event</c>.</summary>
internal static class UpstreamEvents
{
    public const string Connect = "connect";
    public const string Message = "message";
    public const string Join = "join";
    public const string Disconnect = "disconnect";
    public const string Call = "call";

    public static readonly IReadOnlyList<string> All = [Connect, Message, Join, Disconnect, Call];
}
