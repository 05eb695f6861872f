using Microsoft.AspNetCore.SignalR.Client;

namespace Hub.Client;

/// <summary>How a <see cref="HubClient"/> connects and reconnects.</summary>
public sealed class HubClientOptions
{
    /// <summary>
    /// The hub URL, usually the load balancer's, e.g. <c>http://localhost:5000/hub</c>; or a
    /// node's raw TCP endpoint, <c>tcp://host:port</c> (<c>Hub:Tcp:Port</c>), for clients without HTTP.
    /// </summary>
    public Uri? Url { get; set; }

    /// <summary>
    /// Nodes to try in turn, for setups without a load balancer. The client connects to the
    /// first that answers and, after losing it, tries the next ones. Used instead of <see cref="Url"/> when set.
    /// <c>http(s)://…/hub</c> and <c>tcp://host:port</c> addresses may be mixed.
    /// </summary>
    public IReadOnlyList<Uri>? Urls { get; set; }

    /// <summary>
    /// Supplies the bearer token when the server runs with <c>Hub:Auth:Mode=Jwt</c>; leave it null
    /// for an anonymous server. It is called again for every connect and every reconnect (at
    /// negotiate and at the transport connect alike), so return a token that is valid now: the
    /// server closes a connection when its token expires, and the client then reconnects with
    /// whatever this returns next. A token the server refuses makes
    /// <see cref="HubClient.StartAsync"/> fail with an <see cref="HttpRequestException"/> whose
    /// status code is 401; during a reconnect the client keeps retrying per <see cref="ReconnectPolicy"/>.
    /// </summary>
    public Func<Task<string?>>? AccessTokenProvider { get; set; }

    /// <summary>The hub protocol; JSON by default.</summary>
    public HubProtocolKind Protocol { get; set; } = HubProtocolKind.Json;

    /// <summary>
    /// How long to wait before each reconnect attempt. Default: exponential backoff from 0 s
    /// up to 30 s with jitter, forever.
    /// </summary>
    public IRetryPolicy? ReconnectPolicy { get; set; }

    /// <summary>How many messages <see cref="HubClient.ReadMessagesAsync"/> buffers for a slow reader before it reports them lost.</summary>
    public int ReaderCapacity { get; set; } = 10_000;

    /// <summary>Extra configuration of the underlying SignalR connection (logging, transports, timeouts).</summary>
    public Action<IHubConnectionBuilder>? ConfigureConnection { get; set; }

    internal IReadOnlyList<Uri> EndpointList()
    {
        if (Urls is { Count: > 0 })
        {
            return Urls;
        }

        return Url is not null
            ? [Url]
            : throw new InvalidOperationException("HubClientOptions needs Url or Urls.");
    }
}
