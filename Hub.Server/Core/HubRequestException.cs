namespace Hub.Server.Core;

/// <summary>
/// A request that cannot be carried out as asked. The hub turns it into a <c>HubException</c>
/// with the same message; the HTTP API into the status its <see cref="Kind"/> names.
/// </summary>
internal sealed class HubRequestException(RequestError kind, string message) : Exception(message)
{
    public RequestError Kind { get; } = kind;

    public static HubRequestException Invalid(string message) => new(RequestError.Invalid, message);

    public static HubRequestException NotFound(string message) => new(RequestError.NotFound, message);
}

internal enum RequestError
{
    Invalid,
    NotFound,
    Forbidden,
    Unavailable,

    /// <summary>The application's handler refused it; the message is the handler's reason.</summary>
    Refused,

    /// <summary>The application's handler threw; its exception is in the server log only.</summary>
    HandlerFailed,
}

internal static class RequestErrorExtensions
{
    /// <summary>The <c>reason</c> label of <c>hub.calls.rejected</c>.</summary>
    public static string MetricReason(this RequestError error) => error switch
    {
        RequestError.Invalid => "invalid",
        RequestError.NotFound => "not_found",
        RequestError.Forbidden => "forbidden",
        RequestError.Refused => "handler_refused",
        RequestError.HandlerFailed => "handler_failed",
        _ => "unavailable",
    };
}
