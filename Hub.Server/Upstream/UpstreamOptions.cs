namespace Hub.Server.Upstream;

/// <summary>The application's backend, asked over HTTP on each event (service mode): <c>Hub:Upstream</c>.</summary>
internal sealed class UpstreamOptions
{
    public const string Section = "Hub:Upstream";

    /// <summary>The backend's base URL: each event is <c>POST {Url}/{event}</c>. Empty = no upstream.</summary>
    public string? Url { get; set; }

    /// <summary>The key of each request's <c>X-Hub-Signature-256</c> (HMAC-SHA256 of its body).</summary>
    public string? Secret { get; set; }

    /// <summary>The events the backend is asked about; the others are allowed without a request. Empty = all.</summary>
    public List<string> Events { get; set; } = [];

    /// <summary>How long one request may take, answer included.</summary>
    public int TimeoutSeconds { get; set; } = 5;

    /// <summary>True to allow connect, message and join when the backend cannot be reached (never a call).</summary>
    public bool FailOpen { get; set; }

    /// <summary>The base URL with the slash that makes <c>{Url}/{event}</c> of a relative <c>{event}</c>.</summary>
    public Uri BaseAddress => new(Url!.EndsWith('/') ? Url : Url + "/");

    public bool Asks(string @event) => Events.Count == 0 || Events.Contains(@event);
}
