using System.Text.Json;
using Hub.Server.Auth;
using Hub.Server.Core;
using Hub.Server.Handlers;
using Microsoft.Extensions.Options;

namespace Hub.Server.Hubs;

/// <summary>
/// Asks the application's handler about a connection at its negotiate, so that a refusal is a
/// 403 there (problem details, the handler's reason as <c>detail</c>) and the client never opens
/// a transport. SignalR negotiates first, which hands out the connection id the handler is told;
/// a refused negotiate's connection is never started, and SignalR lets it go. An allowed one's
/// decision waits in <see cref="ConnectDecisions"/> for the connection to open.
/// </summary>
internal sealed class NegotiateDecision(
    RequestDelegate next,
    ApplicationHandler application,
    ConnectDecisions decisions,
    HubMetrics metrics,
    IOptions<ClusterOptions> cluster,
    IOptions<AuthOptions> auth)
{
    public async Task InvokeAsync(HttpContext context)
    {
        using var captured = await CapturedResponse.RunAsync(context, next);
        if (context.Response.StatusCode == StatusCodes.Status200OK && ConnectionId(captured) is { } connectionId)
        {
            try
            {
                var connect = new ConnectContext(connectionId, UserOf(context), context.Request.Query, cluster.Value.NodeId, context);
                decisions.Remember(connectionId, await application.ConnectAsync(connect, context.RequestAborted));
            }
            catch (HubRequestException ex)
            {
                metrics.Rejected(ex.Kind.MetricReason());
                // Nothing was sent yet: the negotiate's body (and its length) are replaced by the problem.
                context.Response.Headers.ContentLength = null;
                var status = ex.Kind == RequestError.Refused ? StatusCodes.Status403Forbidden : StatusCodes.Status500InternalServerError;
                await Results.Problem(ex.Message, statusCode: status).ExecuteAsync(context);
                return;
            }
        }

        await captured.PassOnAsync(context);
    }

    // The user id the connection will have, as the hub's IUserIdProvider reads it.
    private string? UserOf(HttpContext context)
    {
        var user = auth.Value.Mode == AuthMode.Jwt ? context.User.FindFirst(HubClaims.Subject)?.Value : context.Request.Query["user"].ToString();
        return string.IsNullOrEmpty(user) ? null : user;
    }

    private static string? ConnectionId(CapturedResponse negotiateResponse)
    {
        try
        {
            using var document = JsonDocument.Parse(negotiateResponse.Body);
            return document.RootElement.TryGetProperty("connectionId", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
