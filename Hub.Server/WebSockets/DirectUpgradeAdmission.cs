using System.Net;
using Hub.Server.Auth;
using Hub.Server.Connections;
using Hub.Server.Cors;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.HostFiltering;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Hub.Server.WebSockets;

/// <summary>
/// Whether the node takes a WebSocket upgrade on the direct path: the checks HTTP's pipeline
/// makes before SignalR opens a connection, by the same code — the host filter of
/// <c>AllowedHosts</c> (the framework's middleware, on the framework's options), the origin
/// allow-list, the hub endpoint's authorization and the node's admission — run on an
/// <see cref="HttpContext"/> built from the request's head. Then the negotiate token, used once
/// across both paths. A refusal is not answered here: HTTP answers the same request, by the
/// same checks, with its status.
/// </summary>
internal sealed class DirectUpgradeAdmission(
    WebSocketOrigins origins,
    ConnectionAdmission admission,
    HubRequestAuthorization authorization,
    NegotiatedConnections negotiated,
    IServiceScopeFactory scopes,
    IOptions<AuthOptions> auth,
    IOptionsMonitor<HostFilteringOptions> hostFiltering)
{
    // Quiet: HTTP logs the refusal when it answers the request.
    private readonly HostFilteringMiddleware _hostFilter = new(static _ => Task.CompletedTask, NullLogger<HostFilteringMiddleware>.Instance, hostFiltering);

    /// <summary>The connection to open, or null when HTTP is to answer the request.</summary>
    public async Task<DirectConnection?> AdmitAsync(UpgradeRequest request, ConnectionContext connection)
    {
        await using var scope = scopes.CreateAsyncScope();
        var context = ContextOf(request, connection, scope.ServiceProvider);
        await _hostFilter.Invoke(context);
        var query = context.Request.Query;
        var token = query.TryGetValue("id", out var id) ? id.ToString() : null;
        if (context.Response.StatusCode != StatusCodes.Status200OK || !origins.Allows(context.Request))
        {
            return null;
        }

        // Admission last: a welcome takes its place in this second's connects, which a request
        // refused after it would then have taken for nothing.
        var decision = await authorization.AuthorizeAsync(context);
        if (!decision.Allowed || admission.Refusal(startsConnection: token is null, answered: false) is not null)
        {
            return null;
        }

        string connectionId;
        if (token is null)
        {
            connectionId = ConnectionIds.New();
        }
        else if (!negotiated.TryTakeDirect(token, out connectionId))
        {
            return null;
        }

        var queryUser = auth.Value.Mode == AuthMode.None && query["user"].ToString() is { Length: > 0 } name ? name : null;
        return new DirectConnection(connectionId, decision.User, decision.ExpiresUtc?.UtcDateTime ?? DateTime.MaxValue, queryUser, query);
    }

    // What HTTP's request would be: Kestrel's request and connection, over a response that goes nowhere.
    private static DefaultHttpContext ContextOf(UpgradeRequest request, ConnectionContext connection, IServiceProvider services)
    {
        var features = new FeatureCollection();
        features.Set<IHttpRequestFeature>(new HttpRequestFeature
        {
            Protocol = HttpProtocol.Http11,
            Method = HttpMethods.Get,
            Scheme = Uri.UriSchemeHttp,
            Path = request.Path,
            QueryString = request.QueryString,
            RawTarget = request.Path + request.QueryString,
            Headers = request.Headers,
        });
        features.Set<IHttpResponseFeature>(new HttpResponseFeature());
        features.Set<IHttpResponseBodyFeature>(new StreamResponseBodyFeature(Stream.Null));
        var (remote, local) = (connection.RemoteEndPoint as IPEndPoint, connection.LocalEndPoint as IPEndPoint);
        features.Set<IHttpConnectionFeature>(new HttpConnectionFeature
        {
            ConnectionId = connection.ConnectionId,
            RemoteIpAddress = remote?.Address,
            RemotePort = remote?.Port ?? 0,
            LocalIpAddress = local?.Address,
            LocalPort = local?.Port ?? 0,
        });
        return new DefaultHttpContext(features) { RequestServices = services };
    }
}
