using Hub.Server.Connections;
using Hub.Server.Core;
using Microsoft.AspNetCore.SignalR;

namespace Hub.Server.Hubs;

/// <summary>
/// Turns what went wrong in a hub method into a <see cref="HubException"/> whose message says
/// what: bad input and an unavailable backplane in plain words; anything unexpected as a
/// reference to the server log, never its internals. The connection always stays open.
/// </summary>
internal sealed partial class HubErrorFilter(HubMetrics metrics, ConnectionRegistry connections, ILogger<HubErrorFilter> logger) : IHubFilter
{
    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext context, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        try
        {
            return await next(context);
        }
        catch (HubRequestException ex)
        {
            metrics.Rejected(ex.Kind.MetricReason());
            throw new HubException(ex.Message);
        }
        catch (BackplaneUnavailableException ex)
        {
            metrics.Rejected(RequestError.Unavailable.MetricReason());
            throw new HubException(ex.Message);
        }
        catch (HubException)
        {
            metrics.Rejected("refused");
            throw;
        }
        catch (OperationCanceledException) when (context.Context.ConnectionAborted.IsCancellationRequested)
        {
            throw new HubException("The connection closed before the call completed.");
        }
        catch (Exception ex)
        {
            var reference = Guid.NewGuid().ToString("N")[..12];
            metrics.Rejected("error");
            Log.Unexpected(logger, context.HubMethodName, reference, ex);
            throw new HubException($"'{context.HubMethodName}' failed on the server (reference {reference} in the server log).");
        }
    }

    public async Task OnConnectedAsync(HubLifetimeContext context, Func<HubLifetimeContext, Task> next)
    {
        try
        {
            await next(context);
        }
        catch (HubRequestException ex)
        {
            metrics.Rejected(ex.Kind.MetricReason());
            throw new HubException(ex.Message);
        }
        catch (BackplaneUnavailableException ex)
        {
            // SignalR closes a connection whose start failed without letting its client reconnect;
            // Redis away for a moment (it went after the connection was admitted) is no reason to
            // stop the client for good.
            await connections.CloseAsync(context.Context.ConnectionId, $"{ex.Message} Reconnect in a moment.", allowReconnect: true);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Error, "Hub method {Method} failed unexpectedly (reference {Reference}).")]
        public static partial void Unexpected(ILogger logger, string method, string reference, Exception exception);
    }
}
