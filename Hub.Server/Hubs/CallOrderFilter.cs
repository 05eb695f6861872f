using Hub.Client;
using Hub.Server.Core;
using Microsoft.AspNetCore.SignalR;

namespace Hub.Server.Hubs;

/// <summary>
/// Gives each hub call its turn in its connection's <see cref="CallOrder"/>, so calls that
/// SignalR runs side by side take effect in the order the client sent them. Registered right
/// inside <see cref="HubErrorFilter"/> and before every filter that may wait: the turn must be
/// taken before a call's first wait, while SignalR still starts the calls one by one.
/// </summary>
internal sealed class CallOrderFilter : IHubFilter
{
    private static readonly object Key = typeof(CallOrder);

    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext context, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        var caller = context.Context;
        // Created at a connection's first call, so an idle connection holds none. Only the
        // connection's dispatch loop starts calls, one at a time, so two never race here.
        if (!caller.Items.TryGetValue(Key, out var found) || found is not CallOrder order)
        {
            order = new CallOrder();
            caller.Items[Key] = order;
        }

        var turn = await order.WaitTurnAsync(IsPublish(context.HubMethodName), caller.ConnectionAborted);
        CallOrder.Enter(turn);
        try
        {
            return await next(context);
        }
        finally
        {
            turn.End();
        }
    }

    // The calls whose turn may end once their message is placed: nothing of theirs that comes
    // after the publish is anything a later call of the connection could see.
    private static bool IsPublish(string method) => method is
        nameof(IHubServer.Publish) or nameof(IHubServer.Send) or nameof(IHubServer.SendToConnection) or
        nameof(IHubServer.SendToUser) or nameof(IHubServer.SendToGroup);
}
