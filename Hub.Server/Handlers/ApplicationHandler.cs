using Hub.Server.Core;

namespace Hub.Server.Handlers;

/// <summary>
/// The application's <see cref="IHubHandler"/>, resolved once: null when there is none, and then
/// every hook is skipped by its caller (no call, no allocation, no await). Its decisions become
/// what the callers already understand: a refusal is a <see cref="HubRequestException"/> of kind
/// <see cref="RequestError.Refused"/> with the handler's reason; a handler that throws fails that
/// call alone, with its exception in the server log and a reference to it in the error.
/// </summary>
internal sealed partial class ApplicationHandler(IServiceProvider services, IHostApplicationLifetime lifetime, ILogger<ApplicationHandler> logger)
{
    /// <summary>The application's handler, or null: callers test this before building a context.</summary>
    public IHubHandler? Handler { get; } = services.GetService<IHubHandler>();

    public async ValueTask<ConnectDecision> ConnectAsync(ConnectContext context, CancellationToken cancellationToken)
    {
        var decision = await RunAsync("connect", context.ConnectionId, context, static (h, c, ct) => h.OnConnectedAsync(c, ct), cancellationToken);
        return decision.Allowed ? decision : throw Refused(decision.Reason);
    }

    /// <summary>The message as the handler lets it be published: its event and data, or the handler's replacements.</summary>
    public async ValueTask<MessageDecision> MessageAsync(MessageContext context, CancellationToken cancellationToken)
    {
        var decision = await RunAsync("message", context.ConnectionId, context, static (h, c, ct) => h.OnMessageAsync(c, ct), cancellationToken);
        return decision.Allowed ? decision : throw Refused(decision.Reason);
    }

    public async ValueTask JoinAsync(JoinContext context, CancellationToken cancellationToken)
    {
        var decision = await RunAsync("join", context.ConnectionId, context, static (h, c, ct) => h.OnJoinAsync(c, ct), cancellationToken);
        if (!decision.Allowed)
        {
            throw Refused(decision.Reason);
        }
    }

    public async ValueTask<CallDecision> CallAsync(CallContext context, CancellationToken cancellationToken)
    {
        var decision = await RunAsync("call", context.ConnectionId, context, static (h, c, ct) => h.OnCallAsync(c, ct), cancellationToken);
        return decision.Answered ? decision : throw Refused(decision.Reason);
    }

    /// <summary>
    /// Tells the handler a connection ended, in the background: nothing waits for it, and a failure
    /// is only logged. Its token ends when the application has stopped, not when it starts to: the
    /// connections a drain closes are told too.
    /// </summary>
    public void Disconnected(DisconnectContext context) => _ = DisconnectedAsync(context);

    private async Task DisconnectedAsync(DisconnectContext context)
    {
        // Off the closing connection's own path before the handler runs a single line of its own.
        await Task.Yield();
        try
        {
            await Handler!.OnDisconnectedAsync(context, lifetime.ApplicationStopped);
        }
        catch (Exception ex)
        {
            Log.Failed(logger, "disconnect", context.ConnectionId, Reference(), ex);
        }
    }

    // Static lambdas: nothing is allocated for the hook itself, only what the handler does.
    private async ValueTask<TDecision> RunAsync<TContext, TDecision>(
        string hook, string connectionId, TContext context, Func<IHubHandler, TContext, CancellationToken, ValueTask<TDecision>> call, CancellationToken cancellationToken)
        where TDecision : class
    {
        try
        {
            return await call(Handler!, context, cancellationToken) ?? throw new InvalidOperationException($"The handler's {hook} hook returned no decision.");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            var reference = Reference();
            Log.Failed(logger, hook, connectionId, reference, ex);
            throw new HubRequestException(RequestError.HandlerFailed, $"The application's handler failed (reference {reference} in the server log).");
        }
    }

    private static HubRequestException Refused(string? reason) =>
        new(RequestError.Refused, string.IsNullOrWhiteSpace(reason) ? "Refused by the application." : reason);

    private static string Reference() => Guid.NewGuid().ToString("N")[..12];

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Error, "The application's handler failed on {Hook} of connection {ConnectionId} (reference {Reference}).")]
        public static partial void Failed(ILogger logger, string hook, string connectionId, string reference, Exception exception);
    }
}
